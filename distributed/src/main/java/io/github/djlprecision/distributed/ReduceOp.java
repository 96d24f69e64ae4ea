package io.github.djlprecision.distributed;

/** How an all-reduce combines the ranks' values, as {@code torch.distributed.ReduceOp}. */
public enum ReduceOp {
    /** The sum over ranks. */
    SUM,
    /** The sum over ranks divided by the number of ranks (Gloo's sum, then one division). */
    AVG,
    /** The largest value over ranks: a flag set on any rank is set on all. */
    MAX
}
