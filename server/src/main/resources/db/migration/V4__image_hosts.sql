-- Which hosts hold the bytes of which image (by fingerprint): placement only picks among them.
CREATE TABLE image_hosts (
    fingerprint VARCHAR(64) NOT NULL,
    host        VARCHAR(63) NOT NULL,
    PRIMARY KEY (fingerprint, host)
);
INSERT INTO image_hosts (fingerprint, host) SELECT DISTINCT fingerprint, host FROM images;
