package io.github.djlprecision.plugins;

import io.github.djlprecision.Precision;
import io.github.djlprecision.scaling.ScalerStateDict;
import io.github.djlprecision.spi.PrecisionPlugin;
import java.util.Map;

/**
 * {@code 32-true}: DJL's own fp32 training, with every hook left as it is (Lightning's base {@code
 * Precision}).
 */
public final class SinglePrecision implements PrecisionPlugin {

    @Override
    public Precision getPrecision() {
        return Precision.FLOAT_TRUE;
    }

    @Override
    public String getPath() {
        return "fp32";
    }

    /** Keeps no state: any saved key is refused with the reason (a stale loss scale, the breaker). */
    @Override
    public void loadStateDict(Map<String, String> state) {
        ScalerStateDict.refuseForeignKeys(getPrecision().value(), state, false);
    }
}
