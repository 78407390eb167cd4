package dev.virga.cli;

import dev.virga.api.Event;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code virga events}: what happened, and with {@code --follow} what happens next. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Show recent events; --follow streams new ones.")
final class EventsCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Option(names = {"-f", "--follow"}, description = "keep printing new events") boolean follow;
    @Option(names = "--after", description = "only events after this id", defaultValue = "0") long after;

    @Override
    public Integer call() {
        var client = api.client();
        client.events(after).forEach(EventsCommand::print);
        if (follow) {
            client.followEvents(e -> {
                print(e);
                return false;
            });
        }
        return 0;
    }

    private static void print(Event e) {
        System.out.println(e.at() + "  " + e.type() + "  " + e.target() + "  " + e.message());
    }
}
