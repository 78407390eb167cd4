package dev.virga.api;

public enum OperationStatus {
    RUNNING, SUCCESS, FAILURE, CANCELLED;

    public boolean done() {
        return this != RUNNING;
    }
}
