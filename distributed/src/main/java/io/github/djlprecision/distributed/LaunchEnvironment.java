package io.github.djlprecision.distributed;

import java.util.Map;

/**
 * Where this process stands in a run of several processes, read from the variables {@code
 * torchrun} sets for each process it starts (so Slurm, Kubernetes or a plain script start JVMs as
 * they start PyTorch jobs).
 *
 * @param rank this process's rank, {@code 0 <= rank < worldSize} ({@code RANK})
 * @param worldSize the number of processes ({@code WORLD_SIZE})
 * @param localRank this process's rank on its host, which picks its GPU ({@code LOCAL_RANK})
 * @param masterAddress the host of rank 0, which serves the rendezvous ({@code MASTER_ADDR})
 * @param masterPort the TCP port rank 0 serves the rendezvous on ({@code MASTER_PORT})
 */
public record LaunchEnvironment(
        int rank, int worldSize, int localRank, String masterAddress, int masterPort) {

    /** The variables of a launch, as {@code torchrun} names them. */
    public static final String RANK = "RANK";

    /** The number of processes. */
    public static final String WORLD_SIZE = "WORLD_SIZE";

    /** This process's rank on its host. */
    public static final String LOCAL_RANK = "LOCAL_RANK";

    /** The host of rank 0. */
    public static final String MASTER_ADDR = "MASTER_ADDR";

    /** The port of rank 0's rendezvous. */
    public static final String MASTER_PORT = "MASTER_PORT";

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException naming the value and what is accepted
     */
    public LaunchEnvironment {
        if (worldSize < 1) {
            throw new IllegalArgumentException(
                    WORLD_SIZE + " must be at least 1, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(
                    RANK + " must be in [0, " + worldSize + "), got " + rank);
        }
        if (localRank < 0 || localRank > rank) {
            throw new IllegalArgumentException(
                    LOCAL_RANK + " must be in [0, " + RANK + "=" + rank + "], got " + localRank);
        }
        if (masterAddress == null || masterAddress.isBlank()) {
            throw new IllegalArgumentException(
                    MASTER_ADDR + " must name rank 0's host (a name or an IP address)");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException(
                    MASTER_PORT + " must be a TCP port in [1, 65535], got " + masterPort);
        }
    }

    /**
     * Returns whether this process's environment names a launch of several processes ({@code
     * WORLD_SIZE} set).
     *
     * @return true under {@code torchrun} or the project's launcher
     */
    public static boolean isSet() {
        return System.getenv(WORLD_SIZE) != null;
    }

    /**
     * Reads this process's launch from its environment.
     *
     * @return the launch
     * @throws IllegalArgumentException when a variable is missing or not valid, naming it
     */
    public static LaunchEnvironment fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * Reads a launch from variables; {@code LOCAL_RANK} defaults to {@code RANK}, {@code
     * MASTER_ADDR} to {@code 127.0.0.1}.
     *
     * @param variables the environment, by name
     * @return the launch
     * @throws IllegalArgumentException when a variable is missing or not valid, naming it
     */
    public static LaunchEnvironment from(Map<String, String> variables) {
        int rank = integer(variables, RANK, null);
        return new LaunchEnvironment(
                rank,
                integer(variables, WORLD_SIZE, null),
                integer(variables, LOCAL_RANK, rank),
                variables.getOrDefault(MASTER_ADDR, "127.0.0.1"),
                integer(variables, MASTER_PORT, null));
    }

    private static int integer(Map<String, String> variables, String name, Integer fallback) {
        String value = variables.get(name);
        if (value == null) {
            if (fallback != null) {
                return fallback;
            }
            throw new IllegalArgumentException(
                    name
                            + " is not set: a launch of several processes sets "
                            + String.join(", ", RANK, WORLD_SIZE, MASTER_PORT)
                            + " (and LOCAL_RANK, MASTER_ADDR) as torchrun does");
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'", e);
        }
    }
}
