/** A piece of a rationale as it is generated (see `QueryEmbedOptions.onToken`). */
export interface RationaleToken {
  /**
   * The text this piece adds. The pieces of one query, joined, are exactly its `rationale`. Usually one token's
   * text; a character whose bytes span tokens comes whole with the token that completes it.
   */
  text: string;
  /** The generated token ids behind `text`: usually one; several when a character spans tokens. Never `<emb>`. */
  ids: number[];
}

/**
 * Turns one row's generated ids into rationale text as they arrive. A byte-level tokenizer can end a token inside
 * a UTF-8 character, and its text alone is then U+FFFD; such ids are held back until a later one completes the
 * character. Each new piece is decoded together with the piece before it, so that a tokenizer whose decoding of a
 * token depends on its neighbours (a word-start marker, for one) still gives the text that the whole decodes to,
 * while the cost stays linear in the rationale's length.
 */
export class RationaleDetokenizer {
  private readonly ids: number[] = [];
  /** Start of the piece decoded as context. */
  private contextStart = 0;
  /** Ids before this one have been handed out. */
  private emittedEnd = 0;

  constructor(private readonly decode: (ids: number[]) => string) {}

  /** Adds a generated id; returns the text it completes, or undefined while it ends inside a character. */
  push(id: number): RationaleToken | undefined {
    this.ids.push(id);
    const text = this.pending();
    return text.endsWith("\uFFFD") ? undefined : this.take(text);
  }

  /** What is still held back when the rationale ends (its text ends in U+FFFD, as the rationale does); else undefined. */
  flush(): RationaleToken | undefined {
    return this.emittedEnd < this.ids.length ? this.take(this.pending()) : undefined;
  }

  /** The text of the ids not yet handed out. */
  private pending(): string {
    const context = this.emittedEnd > this.contextStart ? this.decode(this.ids.slice(this.contextStart, this.emittedEnd)) : "";
    return this.decode(this.ids.slice(this.contextStart)).slice(context.length);
  }

  private take(text: string): RationaleToken {
    const ids = this.ids.slice(this.emittedEnd);
    this.contextStart = this.emittedEnd;
    this.emittedEnd = this.ids.length;
    return { text, ids };
  }
}

/** The pieces a finished rationale streams as, for results that come from the cache instead of the model. */
export function rationaleTokens(ids: readonly number[], decode: (ids: number[]) => string): RationaleToken[] {
  const detokenizer = new RationaleDetokenizer(decode);
  const out = ids.map((id) => detokenizer.push(id)).filter((t): t is RationaleToken => t !== undefined);
  const rest = detokenizer.flush();
  return rest ? [...out, rest] : out;
}
