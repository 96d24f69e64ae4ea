package io.github.djlprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.github.djlprecision.plugins.SinglePrecision;
import io.github.djlprecision.spi.PluginRequest;
import io.github.djlprecision.spi.PrecisionPlugins;
import org.junit.jupiter.api.Test;

class PrecisionPluginsTest {

    private static PluginRequest request(String engine, String precision) {
        return new PluginRequest(
                engine, Device.cpu(), PrecisionConfig.of(precision), PluginRequest.Purpose.TRAINING);
    }

    @Test
    void fullPrecisionIsServedOnAnyEngineByTheBuiltInProvider() {
        assertTrue(PrecisionPlugins.create(request("AnyEngine", "32-true")) instanceof SinglePrecision);
    }

    @Test
    void unservedPrecisionSaysNotYetSupportedAndWhatIs() {
        UnsupportedPrecisionException e =
                assertThrows(
                        UnsupportedPrecisionException.class,
                        () -> PrecisionPlugins.create(request("AnyEngine", "16-mixed")));
        assertTrue(e.getMessage().contains("'16-mixed' is not yet supported on the AnyEngine engine"), e.getMessage());
        assertTrue(e.getMessage().contains("Supported there: [32-true]"), e.getMessage());
    }

    @Test
    void unknownProviderNameListsTheInstalledOnes() {
        PluginRequest named =
                new PluginRequest(
                        "AnyEngine",
                        Device.cpu(),
                        PrecisionConfig.builder().optPluginName("nope").build(),
                        PluginRequest.Purpose.TRAINING);
        UnsupportedPrecisionException e =
                assertThrows(UnsupportedPrecisionException.class, () -> PrecisionPlugins.create(named));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("fp32"), e.getMessage());
    }

    @Test
    void severalProblemsAreReportedTogether() {
        UnsupportedPrecisionException e =
                new UnsupportedPrecisionException(java.util.List.of("first", "second"));
        assertEquals(2, e.getProblems().size());
        assertEquals("- first\n- second", e.getMessage());
    }
}
