package io.github.djlprecision.pytorch;

import static io.github.djlprecision.pytorch.ConversionNets.input;
import static io.github.djlprecision.pytorch.ConversionNets.predict;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.ModelFiles;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.WeightConversion;
import io.github.djlprecision.inference.PrecisionBlock;
import io.github.djlprecision.pytorch.ConversionNets.Net;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Serving and saving: {@code PrecisionBlock.unwrap} gives back the model exactly as it was before a
 * wrap converted its weights to fp16 (bit-identical fp32 weights, data type, no weights property),
 * so plain DJL serves it and saves it again; {@code ModelFiles.save} never leaves a truncated
 * file, where DJL's own {@code model.save} does when it fails part-way.
 */
class ServingAndSavingTest {

    @ParameterizedTest
    @ValueSource(strings = {"16-true", "16-mixed"})
    void unwrapPutsBackTheFp32WeightsBitIdentical(String precision)
            throws IOException, MalformedModelException, TranslateException {
        Path dir = Files.createTempDirectory("unwrap");
        try (Model model = ConversionNets.model(Net.CNN, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList x = new NDList(input(manager, Net.CNN.input, 1));
            Block original = model.getBlock();
            float[] fp32Output = predict(model, x);
            List<byte[]> before = bytes(original);
            DataType typeBefore = model.getDataType();

            PrecisionBlock block = PrecisionBlock.wrap(model, PrecisionConfig.of(precision));
            assertEquals("float16", model.getProperty(WeightConversion.PROPERTY));
            assertNotEquals(before.get(0).length, bytes(original).get(0).length, "not converted");
            predict(model, x);

            assertSame(original, block.unwrap());
            assertSame(original, model.getBlock());
            List<byte[]> after = bytes(original);
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), "parameter " + i);
            }
            assertEquals(typeBefore, model.getDataType());
            assertNull(model.getProperty(WeightConversion.PROPERTY));
            // plain DJL serves it again, and what it saves loads and serves in plain DJL
            assertArrayEquals(fp32Output, predict(model, x));
            ModelFiles.save(model, dir, "restored");
            try (Model loaded = Model.newInstance("loaded", Device.cpu(), "PyTorch")) {
                loaded.setBlock(Net.CNN.block());
                loaded.load(dir, "restored");
                assertNull(loaded.getProperty(WeightConversion.PROPERTY));
                assertArrayEquals(fp32Output, predict(loaded, x));
            }
            IllegalStateException twice = assertThrows(IllegalStateException.class, block::unwrap);
            assertTrue(twice.getMessage().contains("unwrapped already"), twice.getMessage());
        }
    }

    @Test
    void unwrapWithoutConversionLeavesTheWeightsAlone() throws TranslateException {
        try (Model model = ConversionNets.model(Net.MLP, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList x = new NDList(input(manager, Net.MLP.input, 1));
            List<byte[]> before = bytes(model.getBlock());
            PrecisionBlock block =
                    PrecisionBlock.wrap(
                            model,
                            PrecisionConfig.builder()
                                    .optPrecision("16-mixed")
                                    .optWeightConversion(WeightConversion.NEVER)
                                    .build());
            predict(model, x);
            block.unwrap();
            List<byte[]> after = bytes(model.getBlock());
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i));
            }
            assertNull(model.getProperty(WeightConversion.PROPERTY));
        }
    }

    @Test
    void aFailedSaveLeavesTheEarlierFileIntactWhereDjlsSaveTruncatesIt() throws IOException {
        Path dir = Files.createTempDirectory("saving");
        FailingSaveBlock block = new FailingSaveBlock();
        try (Model model = Model.newInstance("failing", Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, Net.MLP.input);
            // a checkpoint of epoch 3 saved again (DJL's checkpoint listener sets Epoch)
            model.setProperty("Epoch", "3");
            ModelFiles.save(model, dir, "model");
            Path params = dir.resolve("model-0003.params");
            byte[] saved = Files.readAllBytes(params);
            assertEquals(List.of(params), files(dir), "only the saved file, no temporary folder");
            assertEquals(dir.toAbsolutePath(), model.getModelPath());

            block.failing = true;
            IOException failed =
                    assertThrows(IOException.class, () -> ModelFiles.save(model, dir, "model"));
            assertTrue(failed.getMessage().contains("disk full"), failed.getMessage());
            assertArrayEquals(saved, Files.readAllBytes(params), "the earlier file changed");
            assertEquals(List.of(params), files(dir), "the failed save left files behind");

            // DJL's own save writes in place: the same failure truncates the earlier file
            assertThrows(IOException.class, () -> model.save(dir, "model"));
            assertTrue(Files.size(params) < saved.length, Files.size(params) + " bytes");
        }
    }

    @Test
    void theSavedFileIsTheOneDjlWouldWrite() throws IOException {
        Path mine = Files.createTempDirectory("mine");
        Path djls = Files.createTempDirectory("djls");
        try (Model model = ConversionNets.model(Net.MLP, Device.cpu())) {
            for (int i = 0; i < 2; i++) {
                ModelFiles.save(model, mine, "mlp");
                assertEquals(mine.toAbsolutePath(), model.getModelPath());
                model.save(djls, "mlp");
            }
            for (String name : List.of("mlp-0000.params", "mlp-0001.params")) {
                assertArrayEquals(
                        Files.readAllBytes(djls.resolve(name)),
                        Files.readAllBytes(mine.resolve(name)),
                        name);
            }
            assertEquals(2, files(mine).size());
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    private static List<byte[]> bytes(Block block) {
        List<byte[]> values = new ArrayList<>();
        for (Parameter parameter : block.getParameters().values()) {
            values.add(parameter.getArray().toByteArray());
        }
        return values;
    }

    /** A block whose save fails part-way once asked to, as a full disk would. */
    private static final class FailingSaveBlock extends SequentialBlock {

        boolean failing;

        FailingSaveBlock() {
            add(Linear.builder().setUnits(4).build());
        }

        @Override
        public void saveParameters(DataOutputStream os) throws IOException {
            if (failing) {
                os.writeBytes("partial");
                throw new IOException("disk full (simulated)");
            }
            super.saveParameters(os);
        }
    }
}
