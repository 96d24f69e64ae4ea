package io.github.djlprecision.pytorch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import io.github.djlprecision.PrecisionConfig;
import io.github.djlprecision.UnsupportedPrecisionException;
import io.github.djlprecision.spi.ForwardContext;
import io.github.djlprecision.training.PrecisionTrainer;

/**
 * Runs in a child JVM, so that the test survives if the process aborts. {@code refuse}: asks for a
 * bf16-true trainer and prints the refusal. {@code premise}: makes a bf16 array inside LibTorch and
 * asks DJL for {@code zerosLike}, as DJL's optimizers do for their state.
 */
public final class Bf16TrueChild {

    private Bf16TrueChild() {}

    public static void main(String[] args) {
        if ("premise".equals(args[0])) {
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray bf16;
                try (ForwardContext ignored =
                        new NativeAutocast(LibTorchAmp.get()).enter(Device.cpu(), DataType.BFLOAT16)) {
                    bf16 = manager.ones(new Shape(2, 3)).matMul(manager.ones(new Shape(3, 2)));
                }
                System.out.println("bf16 array reads as " + bf16.getDataType());
                System.out.flush();
                bf16.zerosLike();
                System.out.println("ZEROS_LIKE_RETURNED");
            }
            return;
        }
        try (Model model = Model.newInstance("bf16-true", Device.cpu(), "PyTorch")) {
            model.setBlock(Fixture.mlp(true));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss()).optDevices(new Device[] {Device.cpu()});
            try (PrecisionTrainer trainer =
                    PrecisionTrainer.newTrainer(model, config, PrecisionConfig.of("bf16-true"))) {
                trainer.initialize(new Shape(Fixture.BATCH, Fixture.FEATURES));
                System.out.println("TRAINER_CREATED " + trainer.getPlugin().getPath());
            } catch (UnsupportedPrecisionException e) {
                System.out.println("REFUSED: " + e.getMessage());
            }
        }
    }
}
