package dev.virga.agent.sim;

/** A call of the agent endpoint that simulated hosts do not carry out (answered with 501 saying what). */
final class NotSimulated extends RuntimeException {
    NotSimulated(String what) {
        super("not simulated: " + what + "; simulated hosts are a test and planning tool");
    }
}
