package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.pytorch.ConversionNets.Net;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks weights converted to fp16 once on a CUDA device, where the CPU tests cannot look: the
 * conversion's round trip through host memory lands every parameter back on the GPU in the type the
 * path needs, LibTorch's CUDA kernels run the converted models (batch norm with fp32 parameters,
 * layer norm in fp16 without autocast and in fp32 under it), outputs stay within {@link
 * ConversionNets#TOLERANCE} of fp32, and a saved model loads back in fp16. Run by {@link
 * CudaWeightConversionTest} on a machine with a GPU, or directly: {@code java ...
 * CudaWeightConversionProbe}; it prints one line per check.
 */
public final class CudaWeightConversionProbe {

    private static final List<Class<? extends Block>> NORMS =
            List.of(BatchNorm.class, LayerNorm.class);

    private CudaWeightConversionProbe() {}

    /**
     * Runs every check on {@code gpu(0)}.
     *
     * @param args unused
     */
    public static void main(String[] args) throws Exception {
        List<String> failures = check(Device.gpu());
        System.out.println(failures.isEmpty() ? "ALL CUDA CHECKS PASSED" : "FAILED: " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    static List<String> check(Device gpu) throws Exception {
        List<String> failures = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(gpu, "PyTorch")) {
            for (Net net : Net.values()) {
                NDList x = new NDList(ConversionNets.input(manager, net.input, 1));
                convert(net, "16-true", List.of(BatchNorm.class), gpu, x, failures);
                convert(net, "16-mixed", NORMS, gpu, x, failures);
                perCallAutocastAgainstConverted(net, gpu, x);
            }
            saveAndLoad(gpu, new NDList(ConversionNets.input(manager, Net.CNN.input, 1)), failures);
        }
        return failures;
    }

    private static void convert(
            Net net,
            String precision,
            List<Class<? extends Block>> keptFp32,
            Device gpu,
            NDList x,
            List<String> failures)
            throws Exception {
        String name = net + " " + precision;
        try (Model model = ConversionNets.model(net, gpu)) {
            float[] fp32 = ConversionNets.predict(model, x);
            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of(precision));
            System.out.println(name + ": path " + block.getPath());
            String autocast = "native-autocast(" + (gpu.isGpu() ? "cuda" : "cpu");
            if (precision.equals("16-mixed") && !block.getPath().startsWith(autocast)) {
                failures.add(name + ": path " + block.getPath());
            }
            List<String> types = ConversionNets.typeProblems(model.getBlock(), keptFp32, gpu);
            types.forEach(problem -> failures.add(name + ": " + problem));
            float error = ConversionNets.relativeError(fp32, ConversionNets.predict(model, x));
            System.out.printf(
                    "%s: parameters %s, largest difference from fp32 %.2f x 2^-11 of the output"
                            + " scale (allowed %.0f)%n",
                    name,
                    types.isEmpty() ? "as expected" : types,
                    error * 2048,
                    ConversionNets.TOLERANCE * 2048);
            if (!(error <= ConversionNets.TOLERANCE)) {
                failures.add(name + ": difference from fp32 " + error);
            }
        } catch (RuntimeException e) {
            System.out.println(name + ": " + e);
            failures.add(name + ": " + e);
        }
    }

    /** Informational: on the CPU both compute the same bits; a GPU may pick other kernels. */
    private static void perCallAutocastAgainstConverted(Net net, Device gpu, NDList x)
            throws Exception {
        PrecisionConfig perCall =
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optWeightConversion(WeightConversion.NEVER)
                        .build();
        try (Model kept = ConversionNets.model(net, gpu);
                Model converted = ConversionNets.model(net, gpu)) {
            PrecisionBlock.wrap(kept, perCall);
            PrecisionBlock.wrap(converted, PrecisionConfig.of("16-mixed"));
            float[] a = ConversionNets.predict(kept, x);
            float[] b = ConversionNets.predict(converted, x);
            System.out.printf(
                    "%s 16-mixed: per-call autocast and converted weights %s%n",
                    net,
                    Arrays.equals(a, b)
                            ? "equal bit for bit"
                            : String.format(
                                    "differ by %.2f x 2^-11",
                                    ConversionNets.relativeError(a, b) * 2048));
        } catch (RuntimeException e) {
            System.out.println(net + " 16-mixed per-call against converted: " + e);
        }
    }

    private static void saveAndLoad(Device gpu, NDList x, List<String> failures) throws Exception {
        Path dir = Files.createTempDirectory("converted");
        float[] before;
        try (Model model = ConversionNets.model(Net.CNN, gpu)) {
            PrecisionBlock.wrap(model, PrecisionConfig.of("16-true"));
            before = ConversionNets.predict(model, x);
            model.save(dir, "cnn-fp16");
        }
        try (Model loaded = Model.newInstance("loaded", gpu, "PyTorch")) {
            loaded.setBlock(Net.CNN.block());
            loaded.load(dir, "cnn-fp16");
            List<String> types =
                    ConversionNets.typeProblems(loaded.getBlock(), List.of(BatchNorm.class), gpu);
            types.forEach(problem -> failures.add("loaded CNN: " + problem));
            PrecisionBlock.wrap(loaded, PrecisionConfig.of("16-true"));
            boolean same = Arrays.equals(before, ConversionNets.predict(loaded, x));
            System.out.println(
                    "saved and loaded CNN: property "
                            + loaded.getProperty(WeightConversion.PROPERTY)
                            + ", parameters "
                            + (types.isEmpty() ? "as expected" : types)
                            + ", predictions "
                            + (same ? "unchanged" : "CHANGED"));
            if (!same || !"float16".equals(loaded.getProperty(WeightConversion.PROPERTY))) {
                failures.add("saved and loaded CNN differs");
            }
        }
    }
}
