package io.github.djlprecision.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine;

/**
 * How a GPU benchmark process runs its one configuration: picocli parses the options into the
 * benchmark, which then measures; a bad option or whatever the measurement throws becomes a {@code
 * FAILED} {@link ResultLine}, so the driver always gets one {@code RESULT} line.
 */
final class BenchCommand {

    /** What a benchmark measures once its options are parsed. */
    @FunctionalInterface
    interface Measurement {

        /**
         * Measures the configuration and puts the figures in the result.
         *
         * @param result the result to fill
         * @throws Exception if the configuration cannot run; the result then reports it
         */
        void measure(ResultLine result) throws Exception;
    }

    private BenchCommand() {}

    /**
     * Parses the options, measures and prints the RESULT line.
     *
     * @param suite the suite the line names first, e.g. {@code "train"}
     * @param command the picocli command object the options are parsed into
     * @param describe adds the fields that name the configuration, read from the parsed options
     * @param measurement the measurement
     * @param args the options
     * @return the result, or null when only help or the version was printed
     */
    static ResultLine run(
            String suite,
            Object command,
            Consumer<Map<String, Object>> describe,
            Measurement measurement,
            String... args) {
        CommandLine cli = new CommandLine(command);
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("suite", suite);
        try {
            if (CommandLine.printHelpIfRequested(cli.parseArgs(args))) {
                return null;
            }
        } catch (CommandLine.ParameterException e) {
            ResultLine bad = new ResultLine(configuration);
            bad.fail(e);
            bad.print();
            return bad;
        }
        describe.accept(configuration);
        ResultLine result = new ResultLine(configuration);
        try {
            measurement.measure(result);
        } catch (Exception | Error e) {
            result.fail(e);
        }
        result.print();
        return result;
    }

    /**
     * Ends the process: 0 when the configuration ran or only help was printed, else 1.
     *
     * @param result the result, or null when only help or the version was printed
     */
    static void exit(ResultLine result) {
        System.exit(result == null || result.ok() ? 0 : 1);
    }
}
