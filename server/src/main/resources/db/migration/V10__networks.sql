-- Tenant networks (one VXLAN segment each) and the NICs the server's IPAM gave instances on them.
CREATE TABLE networks (
    name       VARCHAR(63) PRIMARY KEY,
    project    VARCHAR(63) NOT NULL,
    subnet     VARCHAR(18) NOT NULL,
    gateway    VARCHAR(15) NOT NULL DEFAULT '',
    vni        INTEGER     NOT NULL UNIQUE,
    created_at BIGINT      NOT NULL
);
CREATE INDEX networks_project ON networks (project);

-- a NIC lives as long as its instance; (network, ip) unique: no two NICs ever get one address
CREATE TABLE nics (
    instance   VARCHAR(63) NOT NULL,
    nic_index  INTEGER     NOT NULL,
    network    VARCHAR(63) NOT NULL,
    mac        VARCHAR(17) NOT NULL UNIQUE,
    ip         VARCHAR(15) NOT NULL,
    created_at BIGINT      NOT NULL,
    PRIMARY KEY (instance, nic_index),
    UNIQUE (network, ip)
);
CREATE INDEX nics_network ON nics (network);

-- load balancers on a network: a VIP (kept out of the NIC pool) and member instances
CREATE TABLE load_balancers (
    name         VARCHAR(63) PRIMARY KEY,
    network      VARCHAR(63) NOT NULL,
    vip          VARCHAR(15) NOT NULL,
    port         INTEGER     NOT NULL,
    protocol     VARCHAR(8)  NOT NULL,
    policy       VARCHAR(16) NOT NULL,
    members_json TEXT        NOT NULL,
    created_at   BIGINT      NOT NULL,
    UNIQUE (network, vip)
);
