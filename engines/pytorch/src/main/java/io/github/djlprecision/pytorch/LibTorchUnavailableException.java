package io.github.djlprecision.pytorch;

/** LibTorch's autocast or GradScaler symbols could not be reached; the message says why. */
public class LibTorchUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is missing, and where it was looked for
     */
    public LibTorchUnavailableException(String message) {
        super(message);
    }
}
