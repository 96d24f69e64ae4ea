package io.github.djlprecision.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlprecision.GradScalerConfig;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every LibTorch kernel bound through JNA, fed the mismatches a user's model can produce (a
 * gradient of another type, a closed array, another shape, a flag of the wrong type): each is a
 * Java exception naming the argument, thrown before the kernel runs, with nothing changed. Without
 * the checks LibTorch throws a C++ exception that ends the JVM.
 */
class KernelArgumentsTest {

    private static final LibTorchAmp AMP = LibTorchAmp.get();

    private NDManager manager;
    private LibTorchAmpKernels kernels;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        kernels = new LibTorchAmpKernels(AMP);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray flag() {
        return manager.zeros(new Shape(1), DataType.FLOAT32);
    }

    private static void refused(Executable call, String... named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String word : named) {
            assertTrue(e.getMessage().contains(word), e.getMessage());
        }
        assertTrue(e.getMessage().contains("accepted"), e.getMessage());
    }

    @Test
    void unscaleRefusesFlagsOfAnotherTypeAndClosedGradients() {
        NDArray gradient = manager.ones(new Shape(3));
        refused(
                () -> kernels.unscaleAndCheck(List.of(gradient), manager.zeros(new Shape(1)).toType(DataType.FLOAT64, false), flag()),
                "found_inf", "float64");
        refused(
                () -> kernels.unscaleAndCheck(List.of(gradient), flag(), manager.ones(new Shape(2))),
                "inv_scale");
        refused(
                () -> kernels.unscaleAndCheck(List.of(manager.ones(new Shape(2)).toType(DataType.INT32, false)), flag(), flag()),
                "gradient 0", "int32");
        NDArray closed = manager.ones(new Shape(2));
        closed.close();
        refused(() -> kernels.unscaleAndCheck(List.of(gradient, closed), flag(), flag()), "gradient 1", "closed");
        assertArrayEquals(new float[] {1, 1, 1}, gradient.toFloatArray());
    }

    @Test
    void updateScaleRefusesATrackerOfAnotherType() {
        NDArray scale = manager.create(new float[] {1024f});
        NDArray floor = manager.create(new float[] {1f});
        GradScalerConfig config = GradScalerConfig.builder().build();
        refused(
                () -> kernels.updateScale(scale, manager.create(new float[] {0f}), flag(), floor, config),
                "growth_tracker", "float32");
        refused(
                () -> kernels.updateScale(scale, manager.create(new int[] {0}), manager.create(new int[] {1}), floor, config),
                "found_inf", "int32");
        refused(
                () -> kernels.updateScale(scale, manager.create(new int[] {0}), flag(), manager.create(new float[] {1f, 2f}), config),
                "clamp_min_", "min");
        assertArrayEquals(new float[] {1024f}, scale.toFloatArray());
    }

    @Test
    void zeroRefusesAClosedArray() {
        NDArray open = manager.ones(new Shape(2));
        NDArray closed = manager.ones(new Shape(2));
        closed.close();
        refused(() -> kernels.zero(List.of(open, closed)), "_foreach_zero_", "array 1", "closed");
        assertArrayEquals(new float[] {1, 1}, open.toFloatArray());
    }

    @Test
    void copyRefusesUnequalListsAndShapes() {
        NDArray target = manager.zeros(new Shape(2));
        refused(() -> kernels.copy(List.of(manager.ones(new Shape(2))), List.of()), "_foreach_copy_", "1 sources for 0 targets");
        refused(() -> kernels.copy(List.of(manager.ones(new Shape(3))), List.of(target)), "source 0", "(3)");
        assertArrayEquals(new float[] {0, 0}, target.toFloatArray());
    }

    @Test
    void fusedSgdRefusesAFloat32GradientForAFloat64Parameter() {
        FusedSgd sgd =
                new FusedSgd(
                        AMP,
                        DjlOptimizerSettings.of(
                                Optimizer.sgd()
                                        .setLearningRateTracker(Tracker.fixed(0.1f))
                                        .optMomentum(0.9f)
                                        .build()));
        try (sgd) {
            NDArray parameter = manager.ones(new Shape(2)).toType(DataType.FLOAT64, false);
            refused(
                    () -> sgd.step(List.of("w"), List.of(parameter), List.of(manager.ones(new Shape(2))), flag()),
                    "fused-sgd", "gradient of parameter 0", "float32", "float64");
            refused(
                    () -> sgd.step(List.of("w"), List.of(parameter), List.of(manager.ones(new Shape(3)).toType(DataType.FLOAT64, false)), flag()),
                    "gradient of parameter 0", "(3)");
            refused(
                    () -> sgd.step(List.of("w"), List.of(parameter), List.of(parameter.onesLike()), manager.create(new int[] {0})),
                    "found_inf");
            assertArrayEquals(new double[] {1, 1}, parameter.toDoubleArray());
        }
    }

    @Test
    void fusedAdamRefusesParametersOfIntegerTypeAndClosedGradients() {
        for (Optimizer optimizer :
                List.of(
                        Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.1f)).build(),
                        Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.1f)).build())) {
            try (FusedAdam adam = new FusedAdam(AMP, DjlOptimizerSettings.of(optimizer))) {
                NDArray parameter = manager.ones(new Shape(2));
                NDArray closed = manager.ones(new Shape(2));
                closed.close();
                refused(
                        () -> adam.step(List.of("w"), List.of(parameter), List.of(closed), null),
                        adam.getName(), "gradient of parameter 0", "closed");
                NDArray integers = manager.ones(new Shape(2)).toType(DataType.INT32, false);
                refused(
                        () -> adam.step(List.of("w"), List.of(integers), List.of(integers.duplicate()), null),
                        "parameter 0", "int32");
                assertArrayEquals(new float[] {1, 1}, parameter.toFloatArray());
            }
        }
    }
}
