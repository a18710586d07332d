import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatBytes, formatIcount, formatIcountShort, parseIcount, type IcountContext } from '../../common/ui-icount';

const ctx: IcountContext = { current: 10_000, max: 9_876_543 };
const value = (text: string, c = ctx): number => {
  const r = parseIcount(text, c);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.message}`);
  return r.icount;
};
const message = (text: string, c = ctx): string => {
  const r = parseIcount(text, c);
  assert.ok(!r.ok, `${text} should be rejected, got ${r.ok ? r.icount : ''}`);
  return r.message;
};

void test('plain and grouped digits', () => {
  assert.equal(value('0'), 0);
  assert.equal(value('1234567'), 1_234_567);
  assert.equal(value('1,234,567'), 1_234_567);
  assert.equal(value(' 1 234 567 '), 1_234_567);
  assert.equal(value('1_234_567'), 1_234_567);
  assert.equal(value('0x1000'), 4096);
});

void test('suffixes k, M, G are exact', () => {
  assert.equal(value('1.2M'), 1_200_000);
  assert.equal(value('500k'), 500_000);
  assert.equal(value('2 M', { current: 0 }), 2_000_000);
  assert.equal(value('1.5G', { current: 0 }), 1_500_000_000);
  assert.equal(value('0.000001G', { current: 0 }), 1_000);
  assert.match(message('1.2345k'), /whole number/);
});

void test('relative to the current position', () => {
  assert.equal(value('+5000'), 15_000);
  assert.equal(value('-2,000'), 8_000);
  assert.equal(value('+1.2M'), 1_210_000);
  assert.match(message('-20000'), /before 0/);
});

void test('range: bounds are inclusive and the message names the range', () => {
  assert.equal(value('9,876,543'), 9_876_543);
  assert.match(message('9,876,544'), /past the end of the recording \(9,876,543\).*0 to 9,876,543/);
  const fromNow = { current: 10_000, min: 10_000, max: 20_000 };
  assert.equal(value('10000', fromNow), 10_000);
  assert.match(message('9999', fromNow), /before 10,000: enter a value from 10,000 to 20,000/);
  assert.equal(value('99999999999', { current: 0 }), 99_999_999_999);
});

void test('garbage is rejected with a hint, never read as a number', () => {
  assert.match(message(''), /Enter an instruction count/);
  assert.match(message('   '), /Enter an instruction count/);
  assert.match(message('abc'), /not an instruction count/);
  assert.match(message('1,23,4'), /groups of three/);
  assert.match(message('12,34'), /groups of three/);
  assert.match(message('1.2'), /not an instruction count/);
  assert.match(message('1e6'), /not an instruction count/);
  assert.match(message('--5'), /not an instruction count/);
  assert.match(message('+'), /not an instruction count/);
  assert.match(message('9'.repeat(30), { current: 0 }), /too large/);
});

void test('formatIcount groups thousands with commas', () => {
  assert.equal(formatIcount(0), '0');
  assert.equal(formatIcount(999), '999');
  assert.equal(formatIcount(1000), '1,000');
  assert.equal(formatIcount(1_234_567), '1,234,567');
  assert.equal(formatIcount(-1_234), '-1,234');
  assert.equal(formatIcount(12_345_678_901), '12,345,678,901');
});

void test('formatIcount and parseIcount round-trip', () => {
  for (const n of [0, 7, 1000, 65_536, 1_234_567, 2 ** 40 + 3]) {
    assert.equal(value(formatIcount(n), { current: 0 }), n);
  }
});

void test('short axis labels', () => {
  assert.equal(formatIcountShort(0), '0');
  assert.equal(formatIcountShort(950), '950');
  assert.equal(formatIcountShort(12_000), '12k');
  assert.equal(formatIcountShort(1_500_000), '1.5M');
  assert.equal(formatIcountShort(2_250_000_000), '2.25G');
  assert.equal(formatIcountShort(150_000_000), '150M');
});

void test('bytes and ages', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(614_400), '600 KiB');
  assert.equal(formatBytes(1_572_864), '1.5 MiB');
  assert.equal(formatBytes(27_262_976), '26 MiB');
  const now = 1_700_000_000_000;
  assert.equal(formatAge(now - 1000, now), 'just now');
  assert.equal(formatAge(now + 5000, now), 'just now');
  assert.equal(formatAge(now - 42_000, now), '42 s ago');
  assert.equal(formatAge(now - 5 * 60_000, now), '5 min ago');
  assert.equal(formatAge(now - 3 * 3_600_000, now), '3 h ago');
  assert.equal(formatAge(now - 3 * 86_400_000, now), '3 d ago');
});
