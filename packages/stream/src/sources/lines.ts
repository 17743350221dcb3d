import { Observable } from 'rxjs';
import type { Line } from '../types';

/** Splits text arriving in arbitrary pieces into lines; a line longer than `maxLength` is replaced by a marker. */
export class LineSplitter {
  private partial = '';
  private skipping = false;
  private lineNo = 0;

  constructor(readonly origin: string, readonly maxLength = 1 << 20) {}

  push(text: string, emit: (l: Line) => void): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.finish(this.partial + text.slice(start, nl), emit);
      this.partial = '';
      start = nl + 1;
    }
    if (!this.skipping) this.partial += text.slice(start);
    if (this.partial.length > this.maxLength) {
      this.partial = '';
      this.skipping = true;
    }
  }

  /** Emits what is left (input ended without a final newline). */
  end(emit: (l: Line) => void): void {
    if (this.partial !== '' || this.skipping) this.finish(this.partial, emit);
    this.partial = '';
  }

  private finish(text: string, emit: (l: Line) => void): void {
    this.lineNo++;
    if (this.skipping) {
      this.skipping = false;
      emit({ text: `<line longer than ${this.maxLength} characters>`, lineNo: this.lineNo, origin: this.origin });
      return;
    }
    emit({ text: text.endsWith('\r') ? text.slice(0, -1) : text, lineNo: this.lineNo, origin: this.origin });
  }
}

/** The lines of a readable byte stream (stdin, a file); completes at its end. */
export function linesFrom(input: NodeJS.ReadableStream, origin: string): Observable<Line> {
  return new Observable<Line>((subscriber) => {
    const split = new LineSplitter(origin);
    const emit = (l: Line): void => subscriber.next(l);
    const onData = (d: Buffer | string): void => split.push(typeof d === 'string' ? d : d.toString('utf8'), emit);
    const onEnd = (): void => {
      split.end(emit);
      subscriber.complete();
    };
    const onError = (e: Error): void => subscriber.error(e);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    return () => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause?.();
    };
  });
}
