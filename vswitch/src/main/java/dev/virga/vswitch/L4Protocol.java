package dev.virga.vswitch;

/** The transport a load balancer matches, with its IP protocol number. */
public enum L4Protocol {
    TCP(6), UDP(17);

    final int number;

    L4Protocol(int number) {
        this.number = number;
    }
}
