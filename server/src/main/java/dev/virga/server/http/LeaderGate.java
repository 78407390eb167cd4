package dev.virga.server.http;

import dev.virga.server.leader.Leadership;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.util.Set;

/**
 * A standby serves reads from the store and refuses everything else with a 503 naming the leader: writes, and the
 * live streams (events, console), which only the leader's own work feeds.
 */
public final class LeaderGate {
    private static final Set<HandlerType> READS = Set.of(HandlerType.GET, HandlerType.HEAD, HandlerType.OPTIONS);
    private static final Set<String> LEADER_ONLY_READS = Set.of("/1.0/events/stream");

    private LeaderGate() {
    }

    public static void install(Javalin app, Leadership leadership) {
        app.before(ctx -> {
            if (!leadership.leading() && !readable(ctx)) {
                throw new ApiError.NotLeader(leadership.leader());
            }
        });
        app.wsBeforeUpgrade(ctx -> {
            if (!leadership.leading()) {
                throw new ApiError.NotLeader(leadership.leader());
            }
        });
    }

    private static boolean readable(Context ctx) {
        return READS.contains(ctx.method()) && !LEADER_ONLY_READS.contains(ctx.path());
    }
}
