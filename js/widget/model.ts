/**
 * The part of an anywidget model the livegraphs views use.
 */
export interface IModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  send(
    content: Record<string, unknown>,
    callbacks?: unknown,
    buffers?: ArrayBuffer[]
  ): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event: string, callback: (...args: any[]) => void): void;
}
