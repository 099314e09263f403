// Container names as Docker makes and checks them: moby's pkg/namesgenerator
// ("adjective_surname", the same two lists) and the name pattern of
// daemon/names.go. Names are stored with a leading "/", as Docker stores them.
import { randomInt } from 'node:crypto';
import { InvalidArgumentError } from '../errors';

const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful', 'bold',
  'boring', 'brave', 'busy', 'charming', 'clever', 'cool', 'compassionate', 'competent', 'condescending', 'confident',
  'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated',
  'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty',
  'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful',
  'hungry', 'infallible', 'inspiring', 'interesting', 'intelligent', 'jolly', 'jovial', 'keen', 'kind', 'laughing',
  'loving', 'lucid', 'magical', 'mystifying', 'modest', 'musing', 'naughty', 'nervous', 'nice', 'nifty',
  'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical',
  'recursing', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic',
  'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant',
  'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
] as const;

// Notable scientists and hackers, in moby's order (Docker 20.10+: without
// "tereshkova", removed upstream; checked against Debian's dockerd 20.10.24).
const RIGHT = [
  'albattani', 'allen', 'almeida', 'antonelli', 'agnesi', 'archimedes', 'ardinghelli', 'aryabhata', 'austin', 'babbage',
  'banach', 'banzai', 'bardeen', 'bartik', 'bassi', 'beaver', 'bell', 'benz', 'bhabha', 'bhaskara',
  'black', 'blackburn', 'blackwell', 'bohr', 'booth', 'borg', 'bose', 'bouman', 'boyd', 'brahmagupta',
  'brattain', 'brown', 'buck', 'burnell', 'cannon', 'carson', 'cartwright', 'carver', 'cerf', 'chandrasekhar',
  'chaplygin', 'chatelet', 'chatterjee', 'chebyshev', 'cohen', 'chaum', 'clarke', 'colden', 'cori', 'cray',
  'curran', 'curie', 'darwin', 'davinci', 'dewdney', 'dhawan', 'diffie', 'dijkstra', 'dirac', 'driscoll',
  'dubinsky', 'easley', 'edison', 'einstein', 'elbakyan', 'elgamal', 'elion', 'ellis', 'engelbart', 'euclid',
  'euler', 'faraday', 'feistel', 'fermat', 'fermi', 'feynman', 'franklin', 'gagarin', 'galileo', 'galois',
  'ganguly', 'gates', 'gauss', 'germain', 'goldberg', 'goldstine', 'goldwasser', 'golick', 'goodall', 'gould',
  'greider', 'grothendieck', 'haibt', 'hamilton', 'haslett', 'hawking', 'hellman', 'heisenberg', 'hermann', 'herschel',
  'hertz', 'heyrovsky', 'hodgkin', 'hofstadter', 'hoover', 'hopper', 'hugle', 'hypatia', 'ishizaka', 'jackson',
  'jang', 'jemison', 'jennings', 'jepsen', 'johnson', 'joliot', 'jones', 'kalam', 'kapitsa', 'kare',
  'keldysh', 'keller', 'kepler', 'khayyam', 'khorana', 'kilby', 'kirch', 'knuth', 'kowalevski', 'lalande',
  'lamarr', 'lamport', 'leakey', 'leavitt', 'lederberg', 'lehmann', 'lewin', 'lichterman', 'liskov', 'lovelace',
  'lumiere', 'mahavira', 'margulis', 'matsumoto', 'maxwell', 'mayer', 'mccarthy', 'mcclintock', 'mclaren', 'mclean',
  'mcnulty', 'mendel', 'mendeleev', 'meitner', 'meninsky', 'merkle', 'mestorf', 'mirzakhani', 'moore', 'morse',
  'murdock', 'moser', 'napier', 'nash', 'neumann', 'newton', 'nightingale', 'nobel', 'noether', 'northcutt',
  'noyce', 'panini', 'pare', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'poitras',
  'proskuriakova', 'ptolemy', 'raman', 'ramanujan', 'ride', 'montalcini', 'ritchie', 'rhodes', 'robinson', 'roentgen',
  'rosalind', 'rubin', 'saha', 'sammet', 'sanderson', 'satoshi', 'shamir', 'shannon', 'shaw', 'shirley',
  'shockley', 'shtern', 'sinoussi', 'snyder', 'solomon', 'spence', 'stonebraker', 'sutherland', 'swanson', 'swartz',
  'swirles', 'taussig', 'tesla', 'tharp', 'thompson', 'torvalds', 'tu', 'turing', 'varahamihira',
  'vaughan', 'visvesvaraya', 'volhard', 'villani', 'wescoff', 'wilbur', 'wiles', 'williams', 'williamson', 'wilson',
  'wing', 'wozniak', 'wright', 'wu', 'yalow', 'yonath', 'zhukovsky',
] as const;

/** The lists, for tests. */
export const NAME_WORDS: { readonly left: readonly string[]; readonly right: readonly string[] } = { left: LEFT, right: RIGHT };

/** Tries with a name of the lists before falling back to the short id (daemon.generateNewName). */
const TRIES = 6;
/** A bound for callers without an id, so a `taken` that says yes to everything cannot hang us. */
const MAX_TRIES = 10_000;

/** moby's GetRandomName: "adjective_surname", plus a digit 0-9 when retry > 0. */
export function generateName(retry: number): string {
  let name: string;
  do {
    name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
  } while (name === 'boring_wozniak'); // Steve Wozniak is not boring
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/**
 * A free random name (without the leading "/"): the first try is a plain
 * "adjective_surname", later ones end in a digit, as Docker retries. After 6
 * taken names Docker falls back to the 12-character short id, when `id` is
 * given; without it the tries go on.
 */
export function randomName(taken: (name: string) => boolean, id?: string): string {
  for (let i = 0; i < MAX_TRIES; i++) {
    if (i === TRIES && id !== undefined && !taken(id.slice(0, 12))) return id.slice(0, 12);
    const name = generateName(i);
    if (!taken(name)) return name;
  }
  throw new Error('no free container name');
}

const VALID_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const VALID_NAME = new RegExp(`^/?${VALID_NAME_CHARS}+$`);

/**
 * A user-given name ("web" or "/web") as stored ("/web"); Docker's error for
 * anything else. The pattern needs two characters at least, as Docker's does.
 */
export function validateName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!VALID_NAME.test(bare)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only ${VALID_NAME_CHARS} are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}
