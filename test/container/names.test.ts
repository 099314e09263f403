import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors';
import { generateName, NAME_WORDS, randomName, validateName } from '../../src/container/names';

describe('random names', () => {
  it("uses moby's lists", () => {
    expect(NAME_WORDS.left).toHaveLength(108);
    expect(NAME_WORDS.right).toHaveLength(236);
    expect(new Set(NAME_WORDS.left).size).toBe(108);
    expect(new Set(NAME_WORDS.right).size).toBe(236);
    expect(NAME_WORDS.left.slice(0, 3)).toEqual(['admiring', 'adoring', 'affectionate']);
    expect(NAME_WORDS.right.slice(0, 3)).toEqual(['albattani', 'allen', 'almeida']);
    expect(NAME_WORDS.right.at(-1)).toBe('zhukovsky');
  });

  it('makes adjective_surname, with a digit on retries, never boring_wozniak', () => {
    const left = new Set(NAME_WORDS.left);
    const right = new Set(NAME_WORDS.right);
    const seenDigits = new Set<string>();
    // boring_wozniak has a 1 in 25488 chance per draw: ~4 expected in 100000 draws without the exception.
    for (let i = 0; i < 100_000; i++) {
      const name = generateName(0);
      const [a, b] = name.split('_') as [string, string];
      expect(left.has(a) && right.has(b)).toBe(true);
      expect(name).not.toBe('boring_wozniak');
    }
    for (let i = 0; i < 500; i++) {
      const m = /^([a-z]+)_([a-z]+)(\d)$/.exec(generateName(1 + (i % 5)));
      expect(m).not.toBeNull();
      seenDigits.add(m![3]!);
    }
    expect(seenDigits.size).toBe(10);
  });

  it('retries taken names like the daemon, falling back to the short id', () => {
    const asked: string[] = [];
    expect(randomName((n) => (asked.push(n), false))).toMatch(/^[a-z]+_[a-z]+$/);
    expect(asked).toHaveLength(1);

    asked.length = 0;
    const name = randomName((n) => (asked.push(n), asked.length <= 2));
    expect(asked).toHaveLength(3);
    expect(asked[0]).toMatch(/^[a-z]+_[a-z]+$/);
    expect(name).toMatch(/^[a-z]+_[a-z]+\d$/);

    const id = 'a'.repeat(64);
    expect(randomName((n) => n !== 'aaaaaaaaaaaa', id)).toBe('aaaaaaaaaaaa');
    expect(() => randomName(() => true)).toThrow('no free container name');
  });
});

describe('validateName', () => {
  it('stores names with a leading slash', () => {
    expect(validateName('web')).toBe('/web');
    expect(validateName('/web')).toBe('/web');
    expect(validateName('a.b-c_d9')).toBe('/a.b-c_d9');
    expect(validateName('9x')).toBe('/9x');
  });

  it("refuses others with Docker's message", () => {
    for (const bad of ['a', '/a', '', '_web', '-web', '.web', 'we b', 'web/x', 'wéb', 'web:1']) {
      expect(() => validateName(bad)).toThrow(InvalidArgumentError);
      expect(() => validateName(bad)).toThrow(`Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
  });
});
