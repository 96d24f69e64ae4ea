package io.github.djlprecision.compat;

/** What a cell runs. */
public enum CellMode {
    /** A short training run: forward, backward and optimizer steps. */
    TRAINING,
    /** Forward passes only, for engines that cannot train (or when asked). */
    INFERENCE
}
