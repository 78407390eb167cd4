/**
 * Instances: launch and lifecycle requests, their validation, the store of desired/known state, and the reconcile
 * loop that brings the store in line with what each host really runs.
 */
package dev.virga.server.instance;
