-- Host ports forwarded to an instance's guest through its provider NIC (QEMU user-mode hostfwd). The scheduler
-- keeps two instances publishing the same host port (same protocol, overlapping address) off one host.
CREATE TABLE published_ports (
    instance     VARCHAR(63) NOT NULL,
    protocol     VARCHAR(3)  NOT NULL,
    host_address VARCHAR(15) NOT NULL,
    host_port    INTEGER     NOT NULL,
    guest_port   INTEGER     NOT NULL,
    PRIMARY KEY (instance, protocol, host_address, host_port)
);
CREATE INDEX published_ports_port ON published_ports (host_port);
