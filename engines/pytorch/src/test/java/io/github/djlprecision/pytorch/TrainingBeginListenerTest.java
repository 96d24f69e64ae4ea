package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.Model;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.spi.PrecisionPlugin;
import io.github.djlprecision.training.PrecisionTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DJL's {@code Trainer} constructor tells its listeners {@code onTrainingBegin} before a subclass
 * has set its fields; a listener of a {@code PrecisionTrainer} still sees a complete trainer there.
 */
class TrainingBeginListenerTest {

    @Test
    void aListenerSeesThePluginAndSettingsAtTrainingBegin() {
        List<Object> seen = new ArrayList<>();
        TrainingListener listener =
                new TrainingListenerAdapter() {
                    @Override
                    public void onTrainingBegin(Trainer trainer) {
                        PrecisionTrainer precision = (PrecisionTrainer) trainer;
                        seen.add(precision.getPlugin());
                        seen.add(precision.getPrecisionConfig());
                        seen.add(precision.getSkippedSteps());
                        seen.add(precision.getLastOutcome().isPresent());
                    }
                };
        PrecisionConfig config = PrecisionConfig.of("16-mixed");
        try (Model model = ClassificationTask.mlp("training-begin");
                PrecisionTrainer trainer =
                        PrecisionTrainer.newTrainer(
                                model,
                                ClassificationTask.adamConfig().addTrainingListeners(listener),
                                config)) {
            assertEquals(4, seen.size(), "onTrainingBegin ran once");
            assertNotNull(seen.get(0));
            assertSame(trainer.getPlugin(), (PrecisionPlugin) seen.get(0));
            assertSame(config, seen.get(1));
            assertEquals(0L, seen.get(2));
            assertEquals(false, seen.get(3));
        }
    }
}
