/** Reading an icount from an argument or an input box, with the same validation for both. */
import * as vscode from 'vscode';
import { formatIcount, parseIcount, type IcountContext } from '../../common/ui-icount';
import { UserError } from './session';

/**
 * The icount from a command argument (a number or text, for tests, keybindings and other extensions) or asked
 * with an input box that validates while typing. Undefined when the user cancels; a bad argument is a UserError
 * so nothing is sent.
 */
export async function askIcount(
  arg: unknown, ctx: IcountContext, box: { title: string; prompt: string; value?: string },
): Promise<number | undefined> {
  if (typeof arg === 'number' || typeof arg === 'string') {
    const parsed = parseIcount(String(arg), ctx);
    if (!parsed.ok) throw new UserError(parsed.message);
    return parsed.icount;
  }
  const range = `${formatIcount(ctx.min ?? 0)} to ${ctx.max === undefined ? 'the end' : formatIcount(ctx.max)}`;
  const text = await vscode.window.showInputBox({
    title: box.title,
    prompt: `${box.prompt} (${range}). Examples: 1,234,567 · 1.2M · 500k · +5000 or -5000 from now (${formatIcount(ctx.current)}).`,
    value: box.value,
    placeHolder: 'instruction count',
    ignoreFocusOut: true,
    validateInput: (t) => {
      const r = parseIcount(t, ctx);
      return r.ok ? undefined : r.message;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseIcount(text, ctx);
  return parsed.ok ? parsed.icount : undefined;
}
