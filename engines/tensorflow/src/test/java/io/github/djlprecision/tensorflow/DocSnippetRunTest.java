package io.github.djlprecision.tensorflow;

import org.junit.jupiter.api.Test;
import snippets.TensorFlowBf16;

/**
 * Runs the TensorFlow snippets of docs/ here, where the TensorFlow natives are set up; the docs
 * module checks that the pages quote them exactly.
 */
class DocSnippetRunTest {

    @Test
    void tensorFlowBf16SnippetRuns() throws Exception {
        TensorFlowBf16.main(new String[0]);
    }
}
