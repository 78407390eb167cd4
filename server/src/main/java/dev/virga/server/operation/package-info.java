/**
 * Operations: everything slow is one. Persisted, observable, waited on; an operation that was running when the
 * server died is marked failed at the next start and the reconcile loop heals what it was doing.
 */
package dev.virga.server.operation;
