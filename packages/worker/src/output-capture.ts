import { StringDecoder } from 'node:string_decoder';
import type { OutputStream } from './runner.js';

/** Limits of one captured stream. */
export interface OutputCaptureLimits {
  /** Bytes kept for the result; the rest is dropped and the capture marked truncated. */
  maxBytes: number;
  /** Bytes streamed as lines; past it one notice line is sent and streaming stops. */
  maxStreamedBytes: number;
  /** A line longer than this is streamed in pieces of this many characters. */
  maxLineChars: number;
}

/** What a capture holds once its stream has ended. */
export interface CapturedOutput {
  text: string;
  truncated: boolean;
  /** Bytes the stream produced, kept or not. */
  bytes: number;
}

/**
 * Captures one output stream of a command (shell or ssh): keeps its first `maxBytes` for the result
 * and hands it on line by line as it arrives, so a long command's progress is visible while it runs.
 */
export class OutputCapture {
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private total = 0;
  private streamed = 0;
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    readonly stream: OutputStream,
    private readonly limits: OutputCaptureLimits,
    private readonly onLine: (stream: OutputStream, text: string) => void,
  ) {}

  /** Takes the next chunk of the stream. */
  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.total += bytes.length;
    const room = this.limits.maxBytes - this.keptBytes;
    if (room > 0) {
      const part = bytes.length <= room ? bytes : bytes.subarray(0, room);
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    if (this.streamed <= this.limits.maxStreamedBytes) this.split(this.decoder.write(bytes));
  }

  /** Flushes a last line without a newline and returns the capture. */
  end(): CapturedOutput {
    if (this.streamed <= this.limits.maxStreamedBytes) {
      const rest = this.pending + this.decoder.end();
      this.pending = '';
      if (rest !== '') this.emit(rest);
    }
    // A cut in the middle of a multi-byte character leaves a replacement character: drop it.
    let text = Buffer.concat(this.kept).toString('utf8');
    const truncated = this.total > this.keptBytes;
    if (truncated) text = text.replace(/\uFFFD+$/, '');
    return { text, truncated, bytes: this.total };
  }

  private split(text: string): void {
    let buffered = this.pending + text;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      this.emit(buffered.slice(0, newline).replace(/\r$/, ''));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
    while (buffered.length > this.limits.maxLineChars) {
      this.emit(buffered.slice(0, this.limits.maxLineChars));
      buffered = buffered.slice(this.limits.maxLineChars);
    }
    this.pending = buffered;
  }

  private emit(line: string): void {
    if (this.streamed > this.limits.maxStreamedBytes) return;
    this.streamed += Buffer.byteLength(line) + 1;
    if (this.streamed > this.limits.maxStreamedBytes) {
      this.onLine(this.stream, `[weir: ${this.stream} streaming stopped after ${this.limits.maxStreamedBytes} bytes; the result keeps the first ${this.limits.maxBytes}]`);
      this.pending = '';
      return;
    }
    this.onLine(this.stream, line);
  }
}
