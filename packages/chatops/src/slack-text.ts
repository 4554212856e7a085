/**
 * What a person typed, as Slack delivers it, back to plain text: Slack wraps host names it takes
 * for links (`<http://web-1.ams|web-1.ams>`), escapes `&`, `<`, `>`, and puts the bot's mention
 * (`<@U123>`) in front of a command.
 */
export function plainText(text: string): string {
  return text
    .replace(/<(?:https?:\/\/|mailto:)[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(?:https?:\/\/|mailto:)([^>|]*)>/g, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

/** The text of a mention without the leading bot mention(s): `<@UBOT> reboot x` → `reboot x`. */
export function withoutMention(text: string): string {
  return text.replace(/^(\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*)+/, '').trim();
}

/** Escapes text for Slack's mrkdwn so a value cannot become a mention or a link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
