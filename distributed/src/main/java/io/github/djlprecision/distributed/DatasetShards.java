package io.github.djlprecision.distributed;

import ai.djl.training.dataset.RandomAccessDataset;

import java.util.ArrayList;
import java.util.List;

/**
 * Each rank's share of a dataset, as PyTorch's {@code DistributedSampler} deals it: rank {@code r}
 * of {@code W} gets records {@code r, r + W, r + 2W, ...}. With sequential sampling and a batch of
 * {@code b} per rank, batch {@code k} of the ranks together is batch {@code k} of one process with
 * a batch of {@code W * b}: the same records, so the same averaged gradient.
 */
public final class DatasetShards {

    private DatasetShards() {}

    /**
     * Returns this rank's share of a dataset, with the dataset's sampler and batchifier. The last
     * {@code size % worldSize} records are dropped, so that every rank has as many records, hence as
     * many steps: a rank with one more step would wait for its peers until the timeout.
     *
     * @param dataset the whole dataset, the same on every rank
     * @param group the process group, whose rank and size choose the share
     * @return the share, {@code size / worldSize} records
     * @throws IllegalArgumentException when the dataset has fewer records than ranks
     */
    public static RandomAccessDataset shard(RandomAccessDataset dataset, ProcessGroup group) {
        return shard(dataset, group.getRank(), group.getWorldSize());
    }

    /**
     * Returns a rank's share of a dataset, as {@link #shard(RandomAccessDataset, ProcessGroup)}.
     *
     * @param dataset the whole dataset
     * @param rank the rank, in {@code [0, worldSize)}
     * @param worldSize the number of ranks, at least 1
     * @return the share
     * @throws IllegalArgumentException when the rank or size is out of range or the dataset has
     *     fewer records than ranks
     */
    public static RandomAccessDataset shard(RandomAccessDataset dataset, int rank, int worldSize) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(
                    "rank must be in [0, worldSize) and worldSize at least 1, got rank "
                            + rank
                            + " of "
                            + worldSize);
        }
        long size = dataset.size();
        if (size < worldSize) {
            throw new IllegalArgumentException(
                    "the dataset has " + size + " records, fewer than the " + worldSize + " ranks");
        }
        List<Long> indices = new ArrayList<>();
        for (long i = rank; i < size - size % worldSize; i += worldSize) {
            indices.add(i);
        }
        return dataset.subDataset(indices);
    }
}
