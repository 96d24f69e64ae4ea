package io.github.djlprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlprecision.scaling.ScalerState;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class GradScalerTest {

    @Test
    void defaultsAreTorchGradScalers() {
        GradScalerConfig config = GradScalerConfig.defaults();
        assertEquals(65536f, config.getInitScale());
        assertEquals(2f, config.getGrowthFactor());
        assertEquals(0.5f, config.getBackoffFactor());
        assertEquals(2000, config.getGrowthInterval());
    }

    @Test
    void rejectsSettingsTorchRejects() {
        assertInvalid(b -> b.optInitScale(0f), "initScale");
        assertInvalid(b -> b.optInitScale(-1f), "initScale");
        assertInvalid(b -> b.optInitScale(Float.NaN), "initScale");
        assertInvalid(b -> b.optInitScale(Float.POSITIVE_INFINITY), "initScale");
        assertInvalid(b -> b.optGrowthFactor(1f), "growthFactor");
        assertInvalid(b -> b.optBackoffFactor(1f), "backoffFactor");
        assertInvalid(b -> b.optBackoffFactor(0f), "backoffFactor");
        assertInvalid(b -> b.optGrowthInterval(0), "growthInterval");
    }

    private static void assertInvalid(Consumer<GradScalerConfig.Builder> setting, String name) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> setting.accept(GradScalerConfig.builder()));
        assertTrue(e.getMessage().startsWith(name), e.getMessage());
    }

    @Test
    void updateFollowsAmpUpdateScale() {
        GradScalerConfig config = GradScalerConfig.builder().optGrowthInterval(2).build();
        ScalerState state = new ScalerState(1024f, 0);
        state = state.next(false, config);
        assertEquals(new ScalerState(1024f, 1), state);
        state = state.next(false, config);
        assertEquals(new ScalerState(2048f, 0), state);
        state = state.next(false, config).next(true, config);
        assertEquals(new ScalerState(1024f, 0), state, "a non-finite step resets the tracker");
        // growth that would overflow fp32 keeps the scale, as LibTorch does
        ScalerState top = new ScalerState(Float.MAX_VALUE, 1).next(false, config);
        assertEquals(new ScalerState(Float.MAX_VALUE, 0), top);
    }
}
