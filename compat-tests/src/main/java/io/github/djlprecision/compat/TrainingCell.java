package io.github.djlprecision.compat;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;

import io.github.djlprecision.GradScalerConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains the workload in one cell's precision through {@link PrecisionTrainer} and checks what
 * happened: dtypes, loss, loss scaling. Comparisons with {@code 32-true} come later ({@link
 * ReferenceChecks}).
 */
final class TrainingCell {

    private final CompatWorkload workload;
    private final GradScalerConfig gradScaler;
    private final String pluginName;
    private final boolean shortRun;
    private final Progress progress;

    /**
     * Creates the runner.
     *
     * @param workload the model, data and settings
     * @param gradScaler the loss-scaling settings
     * @param pluginName the plugin provider to use, or null to pick by engine and precision
     * @param shortRun true when a cell trains only a few steps: the loss must then stay finite
     *     rather than decrease
     * @param progress shows the steps, or null
     */
    TrainingCell(
            CompatWorkload workload,
            GradScalerConfig gradScaler,
            String pluginName,
            boolean shortRun,
            Progress progress) {
        this.workload = workload;
        this.gradScaler = gradScaler;
        this.pluginName = pluginName;
        this.shortRun = shortRun;
        this.progress = progress;
    }

    CellRun run(MatrixCell cell) {
        PrecisionVariant variant = cell.variant();
        List<Check> checks = new ArrayList<>();
        String path = null;
        try (Model model = workload.newModel(cell.engine(), cell.device());
                NDManager dataManager = model.getNDManager().newSubManager()) {
            PrecisionTrainer trainer;
            try {
                trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                workload.trainingConfig(cell.device()),
                                variant.config(gradScaler, pluginName));
            } catch (UnsupportedPrecisionException e) {
                return CellRun.refused(e.getMessage());
            }
            try (trainer) {
                try {
                    trainer.initialize(workload.inputShapes());
                } catch (UnsupportedPrecisionException e) {
                    return CellRun.refused(e.getMessage());
                }
                path = trainer.getPlugin().getPath();
                DtypeChecks.ParameterBytes parameterBytes =
                        DtypeChecks.parameters(model.getBlock(), variant, checks);
                Dataset dataset = workload.trainingSet(dataManager);
                ActivationProbe.Probe probe;
                try (Batch first = trainer.iterateDataset(dataset).iterator().next()) {
                    probe =
                            ActivationProbe.run(
                                    model.getBlock(),
                                    trainer.getPlugin(),
                                    cell.device(),
                                    first.getData(),
                                    variant,
                                    trainer::getWorkingParameter);
                    DtypeChecks.layers(probe, variant, checks);
                    if (!DtypeChecks.output(
                            trainer.evaluate(first.getData()).head(), variant, checks)) {
                        // a loss on a type DJL cannot name may abort the JVM: stop here
                        return CellRun.stopped(CellMode.TRAINING, path, checks);
                    }
                }
                // a short run is judged on its training steps: evaluation mode would use
                // normalisation statistics that a few steps have not yet settled
                Evaluation before = shortRun ? null : evaluate(trainer, dataset);
                StepLog steps =
                        train(trainer, dataset, variant, countBatches(trainer, dataset), checks);
                Evaluation after;
                if (shortRun) {
                    after = null;
                    LossChecks.staysFinite(steps, workload.epochs(), checks);
                } else {
                    after = evaluate(trainer, dataset);
                    LossChecks.decreases(before, after, checks);
                }
                Dataset testSet = workload.testSet(dataManager);
                double testAccuracy =
                        testSet == null ? Double.NaN : evaluate(trainer, testSet).accuracy();
                LossScalingChecks.trajectory(
                        trainer.getPrecisionConfig().getGradScaler(),
                        variant,
                        steps,
                        shortRun,
                        checks);
                if (variant.usesLossScaling()) {
                    try (Batch first = trainer.iterateDataset(dataset).iterator().next()) {
                        LossScalingChecks.overflowIsSkipped(trainer, first, checks);
                    }
                }
                CellMetrics metrics =
                        new CellMetrics(
                                shortRun ? steps.epochMean(0, workload.epochs()) : before.loss(),
                                shortRun
                                        ? steps.epochMean(workload.epochs() - 1, workload.epochs())
                                        : after.loss(),
                                Double.NaN,
                                shortRun ? Double.NaN : after.accuracy(),
                                testAccuracy,
                                Double.NaN,
                                steps.skippedCount(),
                                steps.lastScale(),
                                steps.medianMillis(),
                                parameterBytes.bytes(),
                                probe.activationBytes(),
                                steps.losses(),
                                steps.scales(),
                                steps.skips(),
                                probe.layers());
                return new CellRun(
                        null,
                        null,
                        CellMode.TRAINING,
                        path,
                        checks,
                        metrics,
                        parameterBytes.expectedBytes());
            }
        } catch (IOException | TranslateException | RuntimeException e) {
            return CellRun.failed(e, CellMode.TRAINING, path, checks);
        }
    }

    private StepLog train(
            PrecisionTrainer trainer,
            Dataset dataset,
            PrecisionVariant variant,
            int batchesPerEpoch,
            List<Check> checks)
            throws IOException, TranslateException {
        StepLog steps = new StepLog();
        if (progress != null) {
            // DJL's bar shortens long messages to a dozen characters: the precision says enough
            progress.reset(variant.label(), (long) batchesPerEpoch * workload.epochs());
        }
        for (int epoch = 0; epoch < workload.epochs(); epoch++) {
            for (Batch batch : trainer.iterateDataset(dataset)) {
                try (batch) {
                    steps.add(
                            TrainingStep.run(
                                    trainer,
                                    batch.getData(),
                                    batch.getLabels(),
                                    steps.count() == 0
                                            ? t -> DtypeChecks.gradients(t, checks)
                                            : null));
                }
                if (progress != null) {
                    progress.increment(1);
                }
            }
        }
        if (progress != null) {
            progress.end();
        }
        return steps;
    }

    private static int countBatches(PrecisionTrainer trainer, Dataset dataset)
            throws IOException, TranslateException {
        int batches = 0;
        for (Batch batch : trainer.iterateDataset(dataset)) {
            batch.close();
            batches++;
        }
        return batches;
    }

    private static Evaluation evaluate(PrecisionTrainer trainer, Dataset dataset)
            throws IOException, TranslateException {
        return Evaluation.of(
                trainer.iterateDataset(dataset),
                trainer::evaluate,
                trainer.getLoss(),
                trainer.getEvaluators());
    }
}
