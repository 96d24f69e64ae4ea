package io.github.djlprecision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's GPU set-up script, {@code gpu-setup/build-djl-jni.sh}, run in a child bash with a
 * timeout: its argument parsing and its refusals (each names what is missing and how to get it,
 * exit status 3, nothing written). The build itself needs PyTorch, a compiler and DJL's sources,
 * and is run on the GPU machine (docs/notes/gpu-setup-session.log).
 */
class GpuSetupScriptTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path SCRIPT = ROOT.resolve("gpu-setup/build-djl-jni.sh");
    private static final long TIMEOUT_S = 60;

    @TempDir Path tmp;

    private record Run(int status, String output) {}

    private Run run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("DJL_SRC");
        builder.environment().remove("PYTHON");
        Path log = tmp.resolve("child-" + System.nanoTime() + ".log");
        builder.redirectOutput(log.toFile());
        Process child = builder.start();
        if (!child.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
            fail("build-djl-jni.sh " + String.join(" ", args) + " ran past " + TIMEOUT_S
                    + " s and was killed; its output:\n" + Files.readString(log));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        int status = child.exitValue();
        if (status > 128) {
            fail("build-djl-jni.sh died of signal " + (status - 128) + "; its output:\n" + output);
        }
        return new Run(status, output);
    }

    /** A Python that runs but has no torch, as on a machine where torch was never installed. */
    private Path pythonWithoutTorch() throws IOException {
        Path python = tmp.resolve("python-without-torch");
        Files.writeString(python, "#!/usr/bin/env bash\n"
                + "echo \"IMPORT-FAILED ModuleNotFoundError: No module named 'torch'\"\n");
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwxr-xr-x"));
        return python;
    }

    @Test
    void helpListsTheOptionsAndExitsZero() throws Exception {
        Run run = run("--help");
        assertEquals(0, run.status(), run.output());
        for (String option : List.of("--out", "--djl-src", "--fetch", "--python", "--java-home")) {
            assertTrue(run.output().contains(option), option + " missing from:\n" + run.output());
        }
    }

    @Test
    void unknownArgumentIsNamedWithTheAcceptedOnes() throws Exception {
        Run run = run("--out", tmp.resolve("out").toString(), "--cuda");
        assertEquals(2, run.status(), run.output());
        assertTrue(run.output().contains("unknown argument '--cuda'"), run.output());
        assertTrue(run.output().contains("Accepted options: --out DIR"), run.output());
    }

    @Test
    void outAndSourcesAreRequired() throws Exception {
        Run noOut = run("--djl-src", tmp.toString());
        assertEquals(2, noOut.status(), noOut.output());
        assertTrue(noOut.output().contains("--out DIR is required"), noOut.output());

        Run noSources = run("--out", tmp.resolve("out").toString());
        assertEquals(2, noSources.status(), noSources.output());
        assertTrue(noSources.output().contains("pass --djl-src DIR"), noSources.output());

        Run both = run("--out=" + tmp.resolve("out"), "--djl-src=" + tmp, "--fetch");
        assertEquals(2, both.status(), both.output());
        assertTrue(both.output().contains("choose one"), both.output());

        Run badJobs = run("--out", tmp.resolve("out").toString(), "--fetch", "--jobs", "two");
        assertEquals(2, badJobs.status(), badJobs.output());
        assertTrue(badJobs.output().contains("--jobs must be a positive whole number"),
                badJobs.output());
    }

    @Test
    void aFolderWithFilesIsRefusedAndLeftAsItWas() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("used"));
        Path kept = Files.writeString(out.resolve("keep.txt"), "mine");
        Run run = run("--out", out.toString(), "--djl-src", tmp.toString());
        assertEquals(2, run.status(), run.output());
        assertTrue(run.output().contains("is not an empty folder"), run.output());
        assertEquals("mine", Files.readString(kept));
        try (var files = Files.list(out)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void everyMissingPrerequisiteIsNamedWithHowToGetIt() throws Exception {
        Path out = tmp.resolve("out");
        Path noJdk = Files.createDirectories(tmp.resolve("jre-without-headers"));
        Run run = run("--out", out.toString(),
                "--djl-src", tmp.resolve("no-djl-checkout").toString(),
                "--python", pythonWithoutTorch().toString(),
                "--java-home", noJdk.toString());
        assertEquals(3, run.status(), run.output());
        String o = run.output();
        assertTrue(o.contains("DJL's sources: '" + tmp.resolve("no-djl-checkout")
                + "' is not a folder"), o);
        assertTrue(o.contains("git clone --branch v0.36.0 --depth 1"), o);
        assertTrue(o.contains("PyTorch: '" + tmp.resolve("python-without-torch")
                + "' cannot import torch"), o);
        assertTrue(o.contains("pip install torch"), o);
        assertTrue(o.contains("JDK headers: " + noJdk + "/include/jni.h"), o);
        assertTrue(o.contains("openjdk-17-jdk-headless"), o);
        assertFalse(Files.exists(out), "a refused build created " + out);
    }

    @Test
    void aFolderThatIsNoDjlCheckoutIsRefused() throws Exception {
        Path notDjl = Files.createDirectories(tmp.resolve("some-project"));
        Run run = run("--out", tmp.resolve("out").toString(), "--djl-src", notDjl.toString(),
                "--python", pythonWithoutTorch().toString());
        assertEquals(3, run.status(), run.output());
        assertTrue(run.output().contains("holds no engines/pytorch/pytorch-native/CMakeLists.txt"),
                run.output());
    }

    @Test
    void modifiedDjlSourcesAreRefusedByChecksum() throws Exception {
        // a DJL-shaped folder whose files are not v0.36.0's
        Path fake = tmp.resolve("djl");
        Path nativeDir = Files.createDirectories(
                fake.resolve("engines/pytorch/pytorch-native/src/main/native"));
        Files.writeString(nativeDir.getParent().getParent().getParent().resolve("CMakeLists.txt"),
                "project(djl_torch)\n");
        Files.createDirectories(fake.resolve("api/src/main/native/djl"));
        Files.writeString(fake.resolve("api/src/main/native/djl/utils.h"), "// not DJL's\n");
        Files.createDirectories(fake.resolve("engines/pytorch/pytorch-native/build/include"));
        Files.writeString(fake.resolve(
                "engines/pytorch/pytorch-native/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h"),
                "// not DJL's\n");
        Path torch = tmp.resolve("torch");
        Path python = tmp.resolve("python-with-fake-torch");
        // a torch that has everything the script looks for, so that only the sources fail
        Files.createDirectories(torch.resolve("lib"));
        Files.writeString(torch.resolve("lib/libtorch.so"), "");
        Files.createDirectories(torch.resolve("share/cmake/Torch"));
        Files.writeString(torch.resolve("share/cmake/Torch/TorchConfig.cmake"), "");
        Files.createDirectories(torch.resolve("include/torch/csrc/api/include/torch"));
        Files.writeString(torch.resolve("include/torch/csrc/api/include/torch/torch.h"), "");
        Files.writeString(python, "#!/usr/bin/env bash\ncat <<EOF\nversion=2.11.0+cpu\ncuda=\nhip=\n"
                + "cmake=" + torch.resolve("share/cmake") + "\nlib=" + torch.resolve("lib")
                + "\ninclude=" + torch.resolve("include") + "\nsite=" + tmp + "\nEOF\n");
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jdk = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.isRegularFile(jdk.resolve("include/jni.h")),
                "this JVM is a JRE: the JDK check refuses first (tested above)");
        Run run = run("--out", tmp.resolve("out").toString(), "--djl-src", fake.toString(),
                "--python", python.toString(), "--java-home", jdk.toString(), "--check");
        assumeFalse(run.output().contains("C++ compiler: none found")
                        || run.output().contains("CMake:"),
                "no C++ compiler or CMake here: those refusals come first");
        assertEquals(3, run.status(), run.output());
        assertTrue(run.output().contains("are not DJL v0.36.0's"), run.output());
        assertTrue(run.output().contains("utils.h: FAILED"), run.output());
    }
}
