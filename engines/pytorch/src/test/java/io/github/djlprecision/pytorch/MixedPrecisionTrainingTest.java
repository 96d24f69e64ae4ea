package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.TrainingResult;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.util.ProgressBar;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class MixedPrecisionTrainingTest {

    private static final int SAMPLES = 512;
    private static final int BATCH = 32;
    private static final int EPOCHS = 6;

    @Test
    void linearComputesInFloat16WhileParametersAndGradientsStayFloat32() {
        try (Model model = ClassificationTask.mlp("dtypes");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model, ClassificationTask.adamConfig(), PrecisionConfig.of("16-mixed"))) {
            trainer.initialize(new Shape(BATCH, ClassificationTask.FEATURES));
            NDManager manager = trainer.getManager();
            NDArray x = manager.randomNormal(new Shape(BATCH, ClassificationTask.FEATURES));
            Block first = model.getBlock().getChildren().get(0).getValue();
            ParameterStore store = new ParameterStore(manager, false);
            try (ForwardContext ignored = trainer.getPlugin().forwardContext(x.getDevice())) {
                NDList hidden = first.forward(store, new NDList(x), true);
                assertEquals(DataType.FLOAT16, hidden.head().getDataType());
            }
            // outside the forward context the same layer computes in fp32
            assertEquals(
                    DataType.FLOAT32,
                    first.forward(store, new NDList(x), true).head().getDataType());
            // what leaves the trainer's forward is fp32, so the loss runs in fp32
            NDList out = trainer.forward(new NDList(x));
            assertEquals(DataType.FLOAT32, out.head().getDataType());

            Fixture.step(trainer, x, manager.zeros(new Shape(BATCH)));
            for (Parameter parameter : model.getBlock().getParameters().values()) {
                assertEquals(DataType.FLOAT32, parameter.getArray().getDataType(), parameter.getName());
            }
            NDArray weight = first.getParameters().get("weight").getArray();
            Fixture.step(trainer, x, manager.zeros(new Shape(BATCH)));
            // DJL's optimizer zeroes gradients after it updates, so check between backward and step
            try (ai.djl.training.GradientCollector collector = trainer.newGradientCollector()) {
                NDArray loss =
                        trainer.getLoss()
                                .evaluate(
                                        new NDList(manager.zeros(new Shape(BATCH))),
                                        trainer.forward(new NDList(x)));
                collector.backward(loss);
            }
            NDArray gradient = weight.getGradient();
            assertEquals(DataType.FLOAT32, gradient.getDataType());
            assertTrue(gradient.abs().sum().getFloat() > 0f);
            trainer.step();
        }
    }

    @Test
    void bf16MixedComputesInBfloat16() {
        try (Model model = ClassificationTask.mlp("bf16");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model, ClassificationTask.adamConfig(), PrecisionConfig.of("bf16-mixed"))) {
            trainer.initialize(new Shape(BATCH, ClassificationTask.FEATURES));
            NDManager manager = trainer.getManager();
            NDArray x = manager.randomNormal(new Shape(BATCH, ClassificationTask.FEATURES));
            NDArray out = trainer.forward(new NDList(x)).head();
            assertEquals(DataType.FLOAT32, out.getDataType());
            // bf16 keeps 8 mantissa bits: every output, widened to fp32, has its low 16 bits zero
            for (float value : out.toFloatArray()) {
                assertEquals(0, Float.floatToRawIntBits(value) & 0xFFFF, "not bf16: " + value);
            }
            NDArray reference = trainer.evaluate(new NDList(x)).head();
            assertEquals(0, Float.floatToRawIntBits(reference.getFloat(0, 0)) & 0xFFFF);
        }
    }

    @Test
    void mixedPrecisionsReachTheLossOfFullPrecision() throws IOException, TranslateException {
        float full = train("32-true");
        float half = train("16-mixed");
        float bf16 = train("bf16-mixed");
        // The blobs overlap: fp32 ends well below ln(4) = 1.39 but far from 0 in 6 epochs.
        assertTrue(full > 0.1f && full < 1.0f, "32-true: " + full);
        // fp16 rounds each product to 11 significant bits, bf16 to 8; after 96 Adam steps from the
        // same weights the runs drift apart by a few hundredths of the loss at most. A broken
        // cast, scale or skipped update shows up as a loss near ln(4) or NaN, far outside this.
        assertEquals(full, half, 0.02f, "16-mixed");
        assertEquals(full, bf16, 0.03f, "bf16-mixed");
    }

    private static float train(String precision) throws IOException, TranslateException {
        try (Model model = ClassificationTask.mlp("classifier-" + precision);
                NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset data = ClassificationTask.blobs(manager, SAMPLES, BATCH);
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(
                            model,
                            ClassificationTask.adamConfig()
                                    .addTrainingListeners(TrainingListener.Defaults.basic()),
                            PrecisionConfig.of(precision))) {
                trainer.initialize(new Shape(BATCH, ClassificationTask.FEATURES));
                EasyTrain.fit(trainer, EPOCHS, data, null);
                TrainingResult result = trainer.getTrainingResult();
                if (precision.equals("16-mixed")) {
                    // as with torch's GradScaler, the first steps at 2^16 overflow fp16 gradients
                    // and back the scale off; after that every step applies
                    assertTrue(trainer.getSkippedSteps() <= 4, "skipped " + trainer.getSkippedSteps());
                    assertEquals(65536f / (1 << trainer.getSkippedSteps()),
                            trainer.getLastOutcome().orElseThrow().lossScale());
                } else {
                    assertEquals(0, trainer.getSkippedSteps(), precision + " skipped steps");
                }
                System.out.printf("%s: loss %.4f, skipped %d%n", precision, result.getTrainLoss(), trainer.getSkippedSteps());
                return result.getTrainLoss();
            }
        }
    }
}
