package io.github.djlprecision.compat;

import ai.djl.Device;

import io.github.djlprecision.GradScalerConfig;

import java.util.List;

/**
 * The child JVM of {@link ChildJvmCells}: rebuilds the workload, runs each cell it is given and
 * prints each run as one JSON line after a marker. Not for direct use.
 */
public final class ChildJvmCellsMain {

    /** One cell, as plain data. */
    record Cell(String engine, String variant, String deviceType, int deviceId) {

        static Cell of(MatrixCell cell) {
            return new Cell(
                    cell.engine(),
                    cell.variant().label(),
                    cell.device().getDeviceType(),
                    cell.device().getDeviceId());
        }

        MatrixCell toCell() {
            return new MatrixCell(
                    engine, PrecisionVariant.parse(variant), Device.of(deviceType, deviceId));
        }
    }

    /** What the parent asks for. */
    record Request(
            String workloadClass,
            String workloadName,
            String pluginName,
            boolean shortRun,
            CellMode mode,
            float initScale,
            float growthFactor,
            float backoffFactor,
            int growthInterval,
            boolean fusedKernels,
            List<Cell> cells) {

        GradScalerConfig gradScaler() {
            return GradScalerConfig.builder()
                    .optInitScale(initScale)
                    .optGrowthFactor(growthFactor)
                    .optBackoffFactor(backoffFactor)
                    .optGrowthInterval(growthInterval)
                    .optFusedKernels(fusedKernels)
                    .build();
        }
    }

    private ChildJvmCellsMain() {}

    /**
     * Runs the cells of a request.
     *
     * @param args one argument: the request as JSON
     * @throws ReflectiveOperationException if the workload cannot be rebuilt
     */
    public static void main(String[] args) throws ReflectiveOperationException {
        Request request = ChildJvmCells.GSON.fromJson(args[0], Request.class);
        CompatWorkload workload =
                ChildJvmCells.rebuild(request.workloadClass(), request.workloadName());
        GradScalerConfig gradScaler = request.gradScaler();
        TrainingCell training =
                new TrainingCell(
                        workload, gradScaler, request.pluginName(), request.shortRun(), null);
        InferenceCell inference = new InferenceCell(workload, gradScaler, request.pluginName());
        for (Cell cell : request.cells()) {
            MatrixCell matrixCell = cell.toCell();
            CellRun run =
                    request.mode() == CellMode.TRAINING
                            ? training.run(matrixCell)
                            : inference.run(matrixCell);
            System.out.println(ChildJvmCells.MARKER + ChildJvmCells.GSON.toJson(run));
            System.out.flush();
        }
    }
}
