// RFC 7047 §3.1 streams JSON values back to back with no delimiter: a reader must find where
// each value ends. This splitter tracks nesting depth and string/escape state over raw bytes.
// Every structural character ({ } [ ] " \) is ASCII and UTF-8 continuation bytes are all
// >= 0x80, so scanning bytes is safe, and decoding only whole values means a multi-byte
// character split across two chunks is never decoded half-way.

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** Default cap on one message: a monitor's initial answer for a big switch is a few MB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class JsonStreamSplitter {
  /** pieces of the unfinished value, in order (scanned already) */
  private chunks: Buffer[] = [];
  /** bytes held in `chunks` */
  private held = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /**
   * Feeds bytes; returns the complete top-level values they finish, parsed. Throws
   * FramingError on a stream that is not a sequence of JSON objects/arrays or on an oversized
   * message: the caller should drop the connection (the stream cannot be resynchronised).
   * Each byte is scanned once; a value spread over many chunks is joined once, when complete.
   */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (!this.started) {
        if (isJsonWhitespace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          throw new FramingError(`unexpected byte 0x${b.toString(16)} between JSON-RPC messages`);
        }
        this.started = true;
        this.depth = 1;
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          const tail = chunk.subarray(start, i + 1);
          const whole = this.held === 0 ? tail : Buffer.concat([...this.chunks, tail], this.held + tail.length);
          this.chunks = [];
          this.held = 0;
          this.started = false;
          this.checkSize(whole.length);
          out.push(parseMessage(whole));
        }
      }
    }
    if (this.started) {
      const rest = chunk.subarray(start);
      // copy: the socket may reuse its buffer
      this.chunks.push(Buffer.from(rest));
      this.held += rest.length;
      this.checkSize(this.held);
    }
    return out;
  }

  private checkSize(n: number): void {
    if (n > this.maxMessageBytes) {
      this.reset();
      throw new FramingError(`message larger than ${this.maxMessageBytes} bytes`);
    }
  }

  /** Bytes of an unfinished message currently held. */
  get pending(): number {
    return this.held;
  }

  reset(): void {
    this.chunks = [];
    this.held = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.started = false;
  }
}

function parseMessage(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new FramingError(`malformed JSON message: ${(err as Error).message}`);
  }
}
