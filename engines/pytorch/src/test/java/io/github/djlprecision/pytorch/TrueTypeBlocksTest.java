package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DJL blocks that make fp32 arrays themselves, under fp16 and fp64 parameters. */
class TrueTypeBlocksTest {

    private static BuiltInBlocks.Case transformerCase(String name) {
        return BuiltInBlocks.of("transformer").stream()
                .filter(c -> c.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void attentionProjectionsAreCreatedInTheModelsTypeAndTrain() {
        BuiltInBlocks.Case attention = transformerCase("ScaledDotProductAttentionBlock");
        for (PrecisionConfig config :
                List.of(
                        PrecisionConfig.of("16-true"),
                        PrecisionConfig.of("64-true"),
                        PrecisionConfig.builder()
                                .optPrecision("16-mixed")
                                .optAmpLevel("O2")
                                .build())) {
            Engine.getEngine("PyTorch").setRandomSeed(1);
            try (Model model = Model.newInstance("attention", Device.cpu(), "PyTorch")) {
                model.setBlock(attention.block().get());
                try (PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model, ClassificationTask.adamConfigForFp16(), config)) {
                    NDList data = attention.data().apply(trainer.getManager());
                    trainer.initialize(data.getShapes());
                    DataType expected =
                            config.getPrecision().value().equals("64-true")
                                    ? DataType.FLOAT64
                                    : DataType.FLOAT16;
                    // DJL asks for FLOAT32 for the projections; what the forward computes with follows
                    // the precision (Apex O2: fp16 working copies of fp32 masters)
                    for (Parameter parameter : model.getBlock().getParameters().values()) {
                        assertEquals(
                                expected,
                                trainer.getWorkingParameter(parameter).getDataType(),
                                parameter.getName());
                    }
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray logits =
                                trainer.forward(data).head().reshape(BuiltInBlocks.BATCH, -1);
                        NDArray labels =
                                trainer.getManager()
                                        .zeros(new Shape(BuiltInBlocks.BATCH), DataType.INT64);
                        NDArray loss =
                                trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
                        assertTrue(Float.isFinite(loss.toType(DataType.FLOAT32, false).getFloat()));
                        collector.backward(loss);
                    }
                    trainer.step();
                }
            }
        }
    }

    @Test
    void bertBlockIsRefusedUpFrontInTheTrueModes() {
        try (Model model = Model.newInstance("bert", Device.cpu(), "PyTorch")) {
            model.setBlock(transformerCase("BertBlock").block().get());
            UnsupportedPrecisionException e =
                    assertThrows(
                            UnsupportedPrecisionException.class,
                            () ->
                                    PrecisionTrainer.newTrainer(
                                            model,
                                            ClassificationTask.adamConfig(),
                                            PrecisionConfig.of("16-true")));
            assertTrue(
                    e.getMessage().contains("BertBlock 01BertBlock cannot train in 16-true"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("Use 16-mixed or bf16-mixed"), e.getMessage());
        }
    }
}
