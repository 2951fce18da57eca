/**
 * Removes credentials from text before it reaches a message or a log: account keys, SAS
 * signatures, connection-string secrets, bearer tokens and JWTs.
 * @module
 */

const PATTERNS: readonly [RegExp, string][] = [
  [/(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;\s"']*/gi, "$1=[redacted]"],
  [
    /([?&](?:sig|se|sp|sv|st|skoid|sktid|skt|ske|sks|skv|spr|srt|ss|sr))=[^&\s"']*/gi,
    "$1=[redacted]",
  ],
  [/\b(Bearer|SharedKey)\s+[^\s"',]+/gi, "$1 [redacted]"],
  [/\beyJ[\w-]*\.[\w-]*\.[\w-]*/g, "[redacted-jwt]"],
];

/**
 * Returns `text` with every credential-looking part replaced by `[redacted]`.
 *
 * @example
 * ```ts
 * import { redactSecrets } from "./redact.ts";
 * redactSecrets("https://a.blob.core.windows.net/c?sv=2024&sig=abc"); // "...?sv=[redacted]&sig=[redacted]"
 * ```
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
