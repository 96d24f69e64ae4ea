package io.github.djlprecision.spi;

/** A scope around one forward pass, e.g. autocast switched on for the calling thread. */
@FunctionalInterface
public interface ForwardContext extends AutoCloseable {

    /** A context that changes nothing. */
    ForwardContext NONE = () -> {};

    /** Restores what the context changed; must also be safe after the forward threw. */
    @Override
    void close();
}
