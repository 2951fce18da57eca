/**
 * Makes a throwaway certificate authority and a server certificate for `127.0.0.1` and
 * `localhost` with `openssl`, so test servers (Azurite, the Key Vault stand-in) can speak HTTPS
 * and clients can trust them through `NODE_EXTRA_CA_CERTS` or `Deno.createHttpClient`.
 * @module
 */
import { join } from "node:path";

/** Files of a throwaway TLS setup, all in one temporary folder. */
export interface TlsFiles {
  /** The folder holding every file; removed by `cleanup()`. */
  readonly dir: string;
  /** The CA certificate (PEM): what clients trust. */
  readonly caCert: string;
  /** The server certificate (PEM), issued by the CA, for 127.0.0.1 and localhost. */
  readonly cert: string;
  /** The server's private key (PEM, unencrypted). */
  readonly key: string;
  /** The server key and certificate chain as a PKCS#12 keystore (for Java servers). */
  readonly pkcs12: string;
  /** The keystore's password. */
  readonly pkcs12Password: string;
  /** Deletes the folder. */
  cleanup(): Promise<void>;
}

/** True if `openssl` can be run. */
export function hasOpenssl(): boolean {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Creates a CA and a server certificate valid for two days (P-256 keys, fast to make). */
export async function makeTls(): Promise<TlsFiles> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-tls-" });
  try {
    const ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    await openssl(dir, [
      ...`req -x509 ${ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=fluxops-test-ca`.split(" "),
      ...["-addext", "basicConstraints=critical,CA:TRUE"],
      ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ]);
    await openssl(
      dir,
      `req ${ec} -keyout server.key -out server.csr -subj /CN=localhost`.split(" "),
    );
    await Deno.writeTextFile(
      join(dir, "server.ext"),
      [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ].join("\n") + "\n",
    );
    await openssl(
      dir,
      ("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem " +
        "-days 2 -extfile server.ext").split(" "),
    );
    const pkcs12Password = "changeit";
    await openssl(
      dir,
      ("pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name server " +
        `-out server.p12 -passout pass:${pkcs12Password}`).split(" "),
    );
    return {
      dir,
      caCert: join(dir, "ca.pem"),
      cert: join(dir, "server.pem"),
      key: join(dir, "server.key"),
      pkcs12: join(dir, "server.p12"),
      pkcs12Password,
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
}
