package snippets;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.breaker.BreakerListener;
import io.github.djlprecision.breaker.BreakerTransition;
import io.github.djlprecision.breaker.PrecisionBreakerConfig;
import io.github.djlprecision.breaker.PrecisionCircuitBreaker;
import io.github.djlprecision.training.PrecisionTrainer;
import java.io.IOException;

/** troubleshooting.md, The precision circuit breaker: switching it on and watching it. */
public final class CircuitBreaker {

    private CircuitBreaker() {}

    public static void main(String[] args) throws IOException, TranslateException {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("mlp", Device.cpu())) {
            ArrayDataset trainSet = Data.blobs(manager, 1024, 32);
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(64).build())
                            .add(Activation.reluBlock())
                            .add(Linear.builder().setUnits(4).build()));
            // snippet:start
            class BreakerLogger extends TrainingListenerAdapter implements BreakerListener {
                @Override
                public void onBreakerTransition(BreakerTransition t) {
                    System.out.println(t); // e.g. "step 6: 16-mixed breaker CLOSED -> OPEN, ..."
                }
            }

            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(Optimizer.adam().build())
                            .optDevices(new Device[] {Device.cpu()})
                            .addTrainingListeners(new BreakerLogger());

            PrecisionConfig precision =
                    PrecisionConfig.builder()
                            .optPrecision("16-mixed")
                            // needs djl-precision-breaker on the class path
                            .optDecorator(PrecisionBreakerConfig.defaults())
                            .build();

            try (PrecisionTrainer trainer = PrecisionTrainer.newTrainer(model, config, precision)) {
                trainer.initialize(new Shape(1, 16));
                EasyTrain.fit(trainer, 1, trainSet, null);
                PrecisionCircuitBreaker breaker = (PrecisionCircuitBreaker) trainer.getPlugin();
                System.out.println("ladder " + breaker.getLadder()
                        + ", training in " + breaker.getActivePrecision());
            }
            // snippet:end
            Data.check(model);
        }
    }
}
