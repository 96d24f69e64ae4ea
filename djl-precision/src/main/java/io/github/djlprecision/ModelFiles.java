package io.github.djlprecision;

import ai.djl.BaseModel;
import ai.djl.Model;
import ai.djl.util.Utils;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Saves a model so that a failed save never leaves a truncated file behind. DJL's {@code
 * model.save} writes the {@code .params} file in place: when it throws part-way (DJL 0.36's "key
 * value size mismatch" on a model loaded from a checkpoint and saved again, a full disk), the file
 * left behind is truncated, an earlier file of the same name is lost, and a later {@code
 * Model.load} fails with {@code EOFException}. {@link #save} lets DJL write into a new temporary
 * folder inside the target folder (the same file system), and moves each file into place with an
 * atomic move only after DJL returned.
 */
public final class ModelFiles {

    private ModelFiles() {}

    /**
     * Saves a model as {@code model.save(modelPath, newModelName)} does (the same file, name and
     * contents: DJL's {@code <name>-<epoch>.params}, numbered by the model's {@code Epoch} property
     * or else after the files already there, and {@code getModelPath()} names {@code modelPath}
     * afterwards), writing it first into a temporary folder in {@code modelPath} and then moving it
     * into place atomically, replacing a file of the same name. If DJL's save throws, the temporary
     * folder is deleted and the files already in {@code modelPath} are as they were.
     *
     * @param model the model to save
     * @param modelPath the folder to save into; created if missing
     * @param newModelName the model's file name prefix, as DJL's {@code save} takes it
     * @throws IOException from DJL's save, from creating the folders, or from a move (also when the
     *     file system cannot move atomically); a failed move leaves the files moved before it in
     *     place, and the rest are deleted with the temporary folder
     * @throws IllegalArgumentException if an argument is null
     */
    public static void save(Model model, Path modelPath, String newModelName) throws IOException {
        if (model == null || modelPath == null || newModelName == null) {
            throw new IllegalArgumentException("model, modelPath and newModelName must not be null");
        }
        Files.createDirectories(modelPath);
        // the file name DJL gives it in modelPath: the Epoch property, else the next free epoch
        String epoch = model.getProperty("Epoch");
        int number =
                epoch == null
                        ? Utils.getCurrentEpoch(modelPath, newModelName) + 1
                        : Integer.parseInt(epoch);
        String fileName = String.format(Locale.ROOT, "%s-%04d.params", newModelName, number);
        Path staging = Files.createTempDirectory(modelPath, "." + newModelName + "-saving-");
        try {
            model.save(staging, newModelName);
            List<Path> written;
            try (Stream<Path> files = Files.list(staging)) {
                written = new ArrayList<>(files.sorted().toList());
            }
            for (Path file : written) {
                String name = file.getFileName().toString();
                // in the empty staging folder DJL numbers a model without an Epoch property 0
                move(file, modelPath.resolve(name.endsWith(".params") ? fileName : name));
            }
            setModelPath(model, modelPath, staging);
        } catch (IOException | RuntimeException e) {
            try {
                deleteRecursively(staging);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        deleteRecursively(staging);
    }

    /**
     * DJL's save sets the model's path to the folder it wrote to, here the temporary one; the
     * model's path is set to the target folder, as {@code model.save} would have left it.
     */
    private static void setModelPath(Model model, Path modelPath, Path staging) {
        if (!(model instanceof BaseModel)
                || !staging.toAbsolutePath().equals(model.getModelPath())) {
            return;
        }
        try {
            Field modelDir = BaseModel.class.getDeclaredField("modelDir");
            modelDir.setAccessible(true);
            modelDir.set(model, modelPath.toAbsolutePath());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "The model was saved to "
                            + modelPath.resolve("")
                            + ", but its getModelPath() still names the deleted temporary folder"
                            + " (DJL's BaseModel.modelDir could not be set): "
                            + e,
                    e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(
                    from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "Cannot move "
                            + from
                            + " to "
                            + to
                            + " atomically on this file system; nothing was half-written, and the"
                            + " file in place, if any, is unchanged.",
                    e);
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
