package io.github.djlprecision.distributed;

/**
 * A collective or the rendezvous failed: a peer process died, hung past the timeout, or could not be
 * reached. The process group cannot be used after it; the run ends, as a PyTorch job ends when a
 * rank fails.
 */
public class ProcessGroupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, on which rank, within which timeout
     */
    public ProcessGroupException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what failed, on which rank, within which timeout
     * @param cause the underlying failure
     */
    public ProcessGroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
