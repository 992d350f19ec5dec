// Test-only certificates, made at test time with openssl in a temporary
// directory: a CA, and certificates it signed for given IP addresses (usable
// as server and as client certificates). Nothing here is checked in.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), "protochan-certs-"));
  readonly ca: string;
  private readonly caKey: string;
  private serial = 0;

  constructor(readonly label = "test") {
    this.ca = join(this.dir, `${label}-ca.pem`);
    this.caKey = join(this.dir, `${label}-ca.key`);
    openssl(
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ["-keyout", this.caKey, "-out", this.ca, "-days", "2", "-subj", `/CN=protochan ${label} CA`],
      ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    );
  }

  /** A certificate for `ips` (subjectAltName), signed by this CA. */
  issue(name: string, ips: readonly string[]): Pem {
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const cert = join(this.dir, `${name}.pem`);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(
      ext,
      `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(",")}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    openssl([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      csr,
      "-subj",
      `/CN=${name}`,
    ]);
    openssl(
      ["x509", "-req", "-in", csr, "-CA", this.ca, "-CAkey", this.caKey, "-set_serial", String(++this.serial + 1000)],
      ["-out", cert, "-days", "2", "-extfile", ext],
    );
    return { cert, key };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(...args: string[][]): void {
  execFileSync("openssl", args.flat(), { stdio: "pipe", timeout: 20_000 });
}
