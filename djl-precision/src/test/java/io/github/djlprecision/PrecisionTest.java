package io.github.djlprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PrecisionTest {

    @ParameterizedTest
    @CsvSource({
        "64-true, DOUBLE_TRUE",
        "32-true, FLOAT_TRUE",
        "16-mixed, HALF_MIXED",
        "bf16-mixed, BF16_MIXED",
        "16-true, HALF_TRUE",
        "bf16-true, BF16_TRUE",
        // legacy values, mapped as Lightning maps them
        "16, HALF_MIXED",
        "bf16, BF16_MIXED",
        "32, FLOAT_TRUE",
        "64, DOUBLE_TRUE"
    })
    void parsesEveryLightningValue(String value, Precision expected) {
        assertEquals(expected, Precision.parse(value));
    }

    @Test
    void legacyValueWarnsOncePerProcessAndValue() throws Exception {
        // a fresh JVM: in this one another test may already have parsed a legacy value
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process =
                new ProcessBuilder(
                                java,
                                "-cp",
                                System.getProperty("java.class.path"),
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                LegacyValues.class.getName())
                        .redirectErrorStream(true)
                        .start();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Thread reader =
                new Thread(
                        () -> {
                            try (InputStream in = process.getInputStream()) {
                                in.transferTo(captured);
                            } catch (IOException e) {
                                // killed at the timeout: what was read is kept
                            }
                        });
        reader.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("child JVM ran past 60 s: " + captured.toString(StandardCharsets.UTF_8));
        }
        reader.join(10_000);
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), log);
        assertTrue(log.contains("PARSED BF16_MIXED BF16_MIXED BF16_MIXED HALF_MIXED"), log);
        assertEquals(2, log.split("is supported for historical reasons", -1).length - 1, log);
        assertEquals(
                1,
                log.split("Precision 'bf16' is supported", -1).length - 1,
                log);
        assertTrue(log.contains("Please set your precision to 'bf16-mixed' instead!"), log);
        assertTrue(log.contains("Precision '16' is supported"), log);
    }

    /** Child-JVM entry: parses legacy values, three times {@code bf16} and once {@code 16}. */
    public static final class LegacyValues {

        private LegacyValues() {}

        /**
         * Parses them and prints what they gave.
         *
         * @param args ignored
         */
        public static void main(String[] args) {
            System.out.println(
                    "PARSED "
                            + Precision.parse("bf16").name()
                            + " "
                            + Precision.parse("bf16").name()
                            + " "
                            + Precision.parse("bf16").name()
                            + " "
                            + Precision.parse("16").name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fp16", "half", "16-Mixed", "BF16-MIXED", "8-true", "mixed", " 16-mixed"})
    void rejectsUnknownValuesNamingThemAndTheAcceptedOnes(String value) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Precision.parse(value));
        assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains("64-true, 32-true, 16-mixed, bf16-mixed, 16-true, bf16-true"),
                e.getMessage());
    }

    @Test
    void wrongCaseGetsAHint() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Precision.parse("BF16-Mixed"));
        assertTrue(e.getMessage().contains("Did you mean 'bf16-mixed'?"), e.getMessage());
    }

    @Test
    void rejectsNullAndBlank() {
        assertTrue(
                assertThrows(IllegalArgumentException.class, () -> Precision.parse(null))
                        .getMessage()
                        .contains("must not be null"));
        assertTrue(
                assertThrows(IllegalArgumentException.class, () -> Precision.parse("  "))
                        .getMessage()
                        .contains("must not be blank"));
    }

    @Test
    void describesDataTypes() {
        assertEquals(DataType.FLOAT32, Precision.HALF_MIXED.parameterType());
        assertEquals(DataType.FLOAT16, Precision.HALF_MIXED.computeType());
        assertEquals(DataType.BFLOAT16, Precision.BF16_TRUE.parameterType());
        assertEquals(DataType.FLOAT64, Precision.DOUBLE_TRUE.computeType());
        assertTrue(Precision.HALF_MIXED.usesLossScaling());
        assertFalse(Precision.BF16_MIXED.usesLossScaling());
    }

    @Test
    void parsesApexLevelsOnlyAsWritten() {
        assertEquals(AmpLevel.O2, AmpLevel.parse("O2"));
        for (String bad : new String[] {"o2", "02", "O4", "", null}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> AmpLevel.parse(bad));
            assertTrue(e.getMessage().contains("O0, O1, O2, O3"), e.getMessage());
        }
    }

    @Test
    void apexLevelNeedsSixteenMixed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PrecisionConfig.builder()
                                        .optPrecision("bf16-true")
                                        .optAmpLevel("O2")
                                        .build());
        assertTrue(e.getMessage().contains("only applies to precision '16-mixed'"), e.getMessage());
        assertEquals(
                AmpLevel.O2,
                PrecisionConfig.builder()
                        .optPrecision("16-mixed")
                        .optAmpLevel("O2")
                        .build()
                        .getAmpLevel()
                        .orElseThrow());
    }

    @Test
    void weightConversionDefaultsToAutoAndIsCheckedAgainstThePrecision() {
        assertEquals(WeightConversion.AUTO, PrecisionConfig.of("16-mixed").getWeightConversion());
        assertThrows(
                IllegalArgumentException.class,
                () -> PrecisionConfig.builder().optWeightConversion(null));
        for (String precision : new String[] {"32-true", "64-true"}) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    PrecisionConfig.builder()
                                            .optPrecision(precision)
                                            .optWeightConversion(WeightConversion.ALWAYS)
                                            .build());
            assertTrue(e.getMessage().contains("not '" + precision + "'"), e.getMessage());
        }
        IllegalArgumentException apex =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PrecisionConfig.builder()
                                        .optPrecision("16-mixed")
                                        .optAmpLevel("O2")
                                        .optWeightConversion(WeightConversion.ALWAYS)
                                        .build());
        assertTrue(apex.getMessage().contains("with amp_level O2"), apex.getMessage());
        assertEquals(
                WeightConversion.NEVER,
                PrecisionConfig.builder()
                        .optPrecision("32-true")
                        .optWeightConversion(WeightConversion.NEVER)
                        .build()
                        .getWeightConversion());
    }
}
