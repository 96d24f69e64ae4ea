package io.github.djlprecision.compat.architectures;

import ai.djl.util.Progress;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.compat.CompatMatrix;
import io.github.djlprecision.compat.Selection;

import java.util.Set;

/**
 * The architecture axis of the compatibility matrix: every {@link Architecture} x every precision
 * and Apex level x every selected device, each cell a short training run ({@link
 * ArchitectureWorkload}) judged against {@link ArchitectureExpectations}. bfloat16 cells run in a
 * child JVM, so that a block that aborts the JVM under bf16 becomes a FAIL cell. Only DJL's PyTorch
 * engine trains a DJL {@code Block}, so only its cells run.
 *
 * <p>Loss scaling starts at {@value #INIT_SCALE} rather than GradScaler's 65536: from a higher
 * scale the scaler needs skipped steps to back off to a scale deep networks fit in, more than a
 * short run has (ResNet-18 skipped its first 5 from 65536; ResNet-50 and the MobileNets in 16-mixed
 * skipped both steps from 1024, on CPU). The backing off itself is checked in every cell with loss
 * scaling (an inf input halves the scale), and over whole runs on the digits and the blob MLP.
 */
public final class ArchitectureMatrix {

    /** The engine the architecture axis runs on. */
    public static final String ENGINE = "PyTorch";

    /** The initial loss scale of the axis' cells. */
    public static final float INIT_SCALE = 256;

    private ArchitectureMatrix() {}

    /**
     * Returns the matrix of one architecture.
     *
     * @param architecture the architecture
     * @param selection the precisions and devices to run; its engines are narrowed to PyTorch
     * @param progress shows each cell's steps, or null
     * @return the matrix, nothing run yet
     */
    public static CompatMatrix of(
            Architecture architecture, Selection selection, Progress progress) {
        Selection pytorch =
                new Selection(Set.of(ENGINE), selection.variants(), selection.deviceTypes());
        return CompatMatrix.builder(new ArchitectureWorkload(architecture.id()))
                .optSelection(
                        selection.engines().isEmpty() || selection.includesEngine(ENGINE)
                                ? pytorch
                                : selection)
                .optExpectations(ArchitectureExpectations.of(architecture))
                .optShortRun(true)
                .optGradScaler(GradScalerConfig.builder().optInitScale(INIT_SCALE).build())
                // every cell, the 32-true reference included, in a child JVM: LibTorch's native
                // kernels can kill a process in any precision (oneDNN's SIGFPE on some hosts)
                .optChildJvm(cell -> true)
                .optProgress(progress)
                .build();
    }
}
