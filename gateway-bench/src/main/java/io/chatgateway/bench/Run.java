package io.chatgateway.bench;

import java.io.PrintStream;

/** What a coordinator works with: the options, the workers and the live timeline. */
final class Run {
    final Options options;
    final Settings settings;
    final Cluster cluster;
    final Timeline timeline;
    final PrintStream out;

    Run(Options options, Settings settings, Cluster cluster, Timeline timeline, PrintStream out) {
        this.options = options;
        this.settings = settings;
        this.cluster = cluster;
        this.timeline = timeline;
        this.out = out;
    }
}
