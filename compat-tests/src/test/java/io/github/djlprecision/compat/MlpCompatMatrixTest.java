package io.github.djlprecision.compat;

/**
 * The compatibility matrix on the default workload: every engine on the class path x every
 * precision and Apex level x every device, each cell checked against the bundled expectation table.
 * Its report goes to {@code target/compat-report/junit/mlp-blobs}.
 */
class MlpCompatMatrixTest extends AbstractCompatMatrixTest {

    @Override
    protected CompatWorkload workload() {
        return MlpWorkload.small();
    }
}
