"""Token estimate of a text without a tokenizer: :func:`heuristic_tokens`.

No download, no dependency, no per-character Python loop: a few C-level passes over
the text's UTF-8 bytes (``translate``, ``split``, ``count``) that follow how cl100k's
pre-tokenizer cuts text into pieces (words with their leading space, groups of up to
3 digits, punctuation runs, whitespace) before BPE merges them, and a cost per piece:

=============================  ======================================================
piece                          tokens
=============================  ======================================================
listed word                    1: one of the 24,674 words cl100k encodes as a single
                               token (with its leading space; compared lower-cased)
other word                     ``_OTHER_WORD`` + 3/16 per ASCII letter: rare and
                               non-English words split into sub-words
                               (``Gemeinderat`` is 4 tokens, ``council`` 1)
digits                         1 per group of up to 3 (``1234567`` is 123|456|7),
                               and 1 for the space before a number (never merged)
punctuation                    1 per run of 1-2 marks, ``":"`` and ``","`` included;
                               a lone mark between letters merges into the word
                               after it (``self.name``, ``don't``)
newline                        1, unless it follows punctuation or another newline;
                               1 more for an indented line's indentation
non-ASCII character            by script (``_SCRIPTS_16``): Han 1.19, kana 1.06,
                               Hangul 1.06, Devanagari and Thai 1.0, Greek 0.88,
                               Arabic 0.69, Cyrillic 0.38, accented Latin letter
                               0.69, emoji 2.2
=============================  ======================================================

The free costs were fitted against cl100k on the first half of each corpus in
``benchmarks/texts/`` (``benchmarks/estimate.py --calibrate``) and checked on the
other half; the sum is then multiplied by ``MARGIN`` so that the estimate errs on the
high side, since an underestimate lets a budget overspend. Llama 3's tokenizer counts
within a few percent of cl100k. ``benchmarks/estimate.py`` prints the ratio to the real
count per kind of text (all between 1.0 and 1.12 at the time of writing) and the speed
(about 15-20 µs for a 500-character request, a third of tiktoken's time).

Capitals inside a word (ALL-CAPS text, camelCase, random strings) split into more
tokens and cost more (``_CAPS_INSIDE``, ``_MIXED_CASE``). What it cannot see well:
base64 and other random-looking strings still cost up to 1.3x the estimate; so does text in a script's rarer characters (classical
Chinese, rare names). Long runs of one repeated mark (``-----``) or of blank lines
count far higher than they are.
"""

from __future__ import annotations

import base64
import re
import zlib
from itertools import repeat

__all__ = ["heuristic_tokens", "MARGIN"]

#: The fitted estimate is multiplied by this: budgets must err on the safe side.
MARGIN = 1.05

# Costs in tokens. Per-byte costs are in sixteenths of a token (integers, see _byte_sum).
_OTHER_WORD = 0.80              # a word not in the word list costs this ...
_LETTER_16 = 3                  # ... plus 3/16 token per ASCII letter
_PUNCT_16 = 16                  # an ASCII punctuation mark, before merging into runs
_NEWLINE_16 = 16                # a newline, before merging into runs
_CAPS_INSIDE = 0.25             # per capital letter after a letter (ALL CAPS, camelCase): BPE splits those
_MIXED_CASE = 1.0               # per lower-upper-lower turn inside a word (random strings, base64)

#: Cost of one non-ASCII character (sixteenths of a token), by the script its UTF-8 lead
#: byte announces. Continuation bytes cost nothing: the lead byte carries the character.
_SCRIPTS_16 = (
    # first lead byte, last lead byte, cost, what lives there
    (0xC2, 0xC2, 16, "Latin-1 symbols: no-break space, ° £ § « »"),
    (0xC3, 0xCD, 11, "accented Latin letters (é ü ß ł ő), IPA, combining marks"),
    (0xCE, 0xCF, 14, "Greek"),
    (0xD0, 0xD4, 6, "Cyrillic"),
    (0xD5, 0xD7, 15, "Armenian, Hebrew"),
    (0xD8, 0xDF, 11, "Arabic, Syriac, Thaana"),
    (0xE0, 0xE0, 16, "Devanagari and other Indic scripts, Thai, Lao, Tibetan"),
    (0xE1, 0xE1, 19, "Georgian, Myanmar, Khmer, Vietnamese letters (ạ ế ộ)"),
    (0xE2, 0xE2, 16, "punctuation and symbols: “ ” – — … € → ✓"),
    (0xE3, 0xE3, 17, "CJK punctuation (、。「」), Hiragana, Katakana"),
    (0xE4, 0xE9, 19, "CJK ideographs (Han)"),
    (0xEA, 0xED, 17, "Hangul syllables"),
    (0xEE, 0xEE, 16, "private use"),
    (0xEF, 0xEF, 24, "full-width forms （ＡＢ１）, CJK compatibility"),
    (0xF0, 0xF4, 35, "emoji and other supplementary-plane characters"),
)


def _table(value_of) -> bytes:
    return bytes(value_of(byte) for byte in range(256))


def _shape_of(byte: int) -> int:
    """One letter per character class: what cl100k's pre-tokenizer splits on."""
    char = chr(byte)
    if byte >= 0x80 or char.isalpha():
        return ord("a")         # letters (non-ASCII bytes count as letters here)
    if char.isdigit():
        return ord("0")
    if char == "\n":
        return ord("\n")
    if char.isspace():
        return ord(" ")         # space, tab, \r (\r\n is one token: \n carries it)
    return ord(".")             # ASCII punctuation and symbols


def _cost_16_of(byte: int) -> int:
    char = chr(byte)
    if byte < 0x80:
        if char.isalpha():
            return _LETTER_16
        if char == "\n":
            return _NEWLINE_16
        if char.isspace() or char.isdigit():
            return 0            # spaces merge into the next piece; digits are counted by group
        return _PUNCT_16
    for first, last, cost, _ in _SCRIPTS_16:
        if first <= byte <= last:
            return cost
    return 0                    # continuation bytes (0x80-0xBF)


_SHAPE = _table(_shape_of)
_COST_16 = _table(_cost_16_of)
#: Words as cl100k's word list holds them: ASCII letters lower-cased, non-ASCII bytes kept
#: (an accented or non-Latin word stays one word), everything else a separator.
_WORDS = _table(lambda b: b | 0x20 if chr(b).isalpha() and b < 0x80 else b if b >= 0x80 else 0x20)
#: ASCII letters by case ("A"/"a"), everything else a space: where capitals sit inside words.
_CASE = _table(lambda b: ord("A") if 0x41 <= b <= 0x5A else ord("a") if 0x61 <= b <= 0x7A else 0x20)
_CONTINUATION = bytes(range(0x80, 0xC0))
_ZEROS = repeat(0.0)
_ADLER_SPAN = 4000              # bytes per adler32 call: 4000 × 16 (the largest cost per byte) < 65521


def heuristic_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (cl100k-like tokenizers), erring slightly high; '' is 0."""
    if not text:
        return 0
    raw = text.encode("utf-8", "surrogatepass")
    # One shape letter per character: continuation bytes go (fewer bytes to scan below).
    shape = raw.translate(_SHAPE) if len(raw) == len(text) else raw.translate(_SHAPE, _CONTINUATION)
    words = raw.translate(_WORDS).split()
    tokens = (
        _byte_sum(raw.translate(_COST_16)) / 16
        + _OTHER_WORD * len(words)
        + sum(map((_KNOWN or _load_known()).get, words, _ZEROS))
        + _pieces(raw, shape)
    )
    if b"AA" in (case := raw.translate(_CASE)) or b"aA" in case:
        # cl100k's merges are mostly lower-case: capitals inside a word split it further
        tokens += _CAPS_INSIDE * (case.count(b"AA") + case.count(b"aA")) + _MIXED_CASE * case.count(b"aAa")
    return max(1, int(tokens * MARGIN + 0.5))


def _pieces(raw: bytes, shape: bytes) -> int:
    """Tokens that cl100k's cutting of punctuation, digits and newlines adds or merges away.

    ``shape`` is ``raw`` with one letter per character class (``_SHAPE``).
    """
    # Punctuation: a run costs about one token whatever its length up to 3, and a lone mark
    # between letters merges into the word after it (``self.name``, ``don't``, ``e.g``).
    pieces = -shape.count(b"..") - shape.count(b"a.a")
    if b'":' in raw or b'",' in raw:
        pieces -= raw.count(b'":"') + raw.count(b'","')     # single tokens in JSON
    if b"0" in shape:
        # Digits go in groups of up to 3: a run of n costs ceil(n / 3). Remove whole
        # groups, then what is left of each run (1 or 2 digits) is one more group.
        rest = shape.replace(b"000", b"")
        pieces += (len(shape) - len(rest)) // 3 + rest.count(b"0") - rest.count(b"00")
        pieces += shape.count(b" 0")                        # a space before a number is a token
    if b"\n" in shape:
        # Newlines after punctuation merge into it, and so do blank lines into the line
        # break before them; an indented line's indentation is one more token (its last
        # space goes with the word after it).
        pieces += shape.count(b"\n  ") - shape.count(b".\n") - shape.count(b"\n\n")
    return pieces


def _byte_sum(data: bytes) -> int:
    """The sum of ``data``'s byte values, ten times faster than ``sum(data)``.

    zlib's Adler-32 keeps ``1 + sum(data)`` modulo 65521 in its low 16 bits; spans of
    ``_ADLER_SPAN`` bytes never reach the modulus.
    """
    if len(data) <= _ADLER_SPAN:
        return (zlib.adler32(data) & 0xFFFF) - 1
    return sum(
        (zlib.adler32(data[start:start + _ADLER_SPAN]) & 0xFFFF) - 1
        for start in range(0, len(data), _ADLER_SPAN)
    )


# --------------------------------------------------------------------------- word list

#: Word → correction to the cost of an unlisted word (so a listed word costs 1 token).
_KNOWN: dict[bytes, float] | None = None


def _load_known() -> dict[bytes, float]:
    global _KNOWN
    words = _word_list()
    by_length = [1.0 - _OTHER_WORD - _LETTER_16 * length / 16 for length in range(max(map(len, words)) + 1)]
    _KNOWN = {word: by_length[len(word)] for word in words}
    return _KNOWN


def _word_list() -> list[bytes]:
    """The 24,674 lower-case words that cl100k encodes as one token with a leading space.

    Stored sorted and front-coded (each word is the count of letters it shares with the
    previous one, 0-9, then the rest of it), zlib-compressed, base85. Rebuilt by
    ``benchmarks/estimate.py --word-list`` (from tiktoken's cl100k, MIT).
    """
    coded = zlib.decompress(base64.b85decode("".join(_WORD_LIST.split())))
    words, previous = [], b""
    for shared, rest in re.findall(rb"(\d)([a-z]*)", coded):
        previous = previous[: int(shared)] + rest
        words.append(previous)
    return words


_WORD_LIST = """
c-n-0jhdrK4&*D1A;I?JU`X5929im@Rn*g8L@2RcJ$rZGw==ujU1dZ5NFgZ{`lmTGMN{;bm~O>bE=_;96ipevV>xzlJo@e!#@li5
<5FD8&<wFm{#l1+@!dJZv1p4f4wWCPFgAU;w)pd!f9{h@MJPL8_F)NruD7BueKE!~H2q0`RKzBAW$(g#$M;kVeyvPPh5w2Fb(+g{
?A%g5eUX~E3Qu49GW0H$vFXZnTIzl)=F*R?ua?^5d&<~X>vHs`esih1)O?chR?pR>k6v7A+U3Omxu&kbr&kSr`M8v`uexe>_~8oQ
ww3dIXp81jcFqr>IkqQ0eOvmz^67{-Kl9zk8{hvN(=iTy!RwAoJv%&BbLssNAN=}$H&?Nm@qdqV9WDXuv7PuMw__aZm`+%V(^iHK
YkX?@bKh^L*~QV%W#5DWOM@44Lp8+i#4lg?)qErU3vX99xA8azJQP2OPgeIwEb94=Ke}`4?BBCXUCmeKW1agAU+>m&IX3o8=iZ<2
|MHH{WpaFhrQx@neCJl|Ou3ZnP_6xc76A+1v|GJs@#jjvbjHK^y2A!=Wfv?{SNL+mdSgMbvrBO=y~EO#!B<Z%TkVgX&e|DI%heih
CH}q$oeOQX;FF6-ImWNL$Cuwc{=@&$FWmfmzVUf(I;(v#`XUY!w)l82$HkYaizUv~yo9#+cXdtRYGX0@Y9Zl^`EAu4^yFOE1xL9^
-pyqkx53SGx%K$nrNlDeN3lcNYV7Y5@9R(9Y39nE_80HBDs&AurJjf5f<weZf85HLDy*)b=OeZlkK~%Z4nIxefnGhIb10{EY?n28
y#ArXh3uPqIk;wA%E>L2zW24nU7e0v<NE2Vn2HN8rJk}~YP*idC!Z4!t<BsI8Gio6x2v?-e4hLc<?Q-qzT=Aevc<(3xoiKfdQCj!
-6y;s*3QkimPKfJr@CgwvxT|kg9QG&_)|75?&pRp=G%ogIEIlQzjh9<=VrSs`$f?{E?BK%zyeoc#@3$`wm5NF)7cJ{{yp=*o*w^>
N&lL0f75$ic<!)c{P`K{h0VmP^_vb9j8iOo><XU^*XhhVg=aU*gXgdX;b%GT@KHDgFf$GA)QC6cO)lnQ?eV$3P8*K*Jx2Uy74dh)
vy@T!`xwJSH8`+wozJvcOO3rf<L&T&PxwQZ=DJBT1h@ly&}GA~g!$yp-B}-{8?0YB$*N#?`80e?-7=hkeA8f(bj;fQO6FZXz>>m*
!%kj8i(j3vJFuXOyL()U^L)4#O)9Wc#kFig!dLiwfXr0kD`7I9VR3z^X#qMsJeJsvzQXgmG}N|5Pi`sfeoJfORy;V)JWS8a_TjJd
se#2Ga9LyW6<-j4q~&e`Pj6F?SZN%dR1Hmf_~p3Vt1)7KzTi3Vz_$X|xSE#|k6r3kmSc-mtTxv*wRXOoi(476olib8Ec)&9(NDaK
SRDK>oF<R69kA<o$dZ;vZ&UOE=Vf#oKBJtM$iv|1Fu2s(8J@jc)nIMgwO>wa!u?9VSewJW@J)x8YYu@o(seGuoalnV8)`>!*74{0
&v=W<8Q+I5fkz&3`%-gV^b^-Ue(A^HFh>vjJoU}!=_%5J{|DED?Zg|W@PJvNYwZ2uPtklAab1eF!?PbAuq0y<#^TZ7JC-s$%eCp9
?|VNM>!B|i?nk}{TDwc>gKYi`2Z+Co_lSGY!Z+iMu;}Km=kmL_Vx1fK=nIx9x)hfCfTO+!Kf-r4Fg_J_#O_Ea;n4ArEq<JL?Z!)%
*Rp(gEzB{_vN(8bLV!ov^jNZnYd><eKO7A23r@Z~8%&%`^590;gAT7TS2RaQA`nMYP3VHn)Q@BJ^z_lSX2RbF{0N`6&}_IbGb^+e
^J{6`hF_z7-mrm<gDHVs>FDbhoE88Sm<oCm;GZ<pYj(wScTIKiKp<_?SK~VP1b32fLhv-V`+^<go-~dJEWO{bZOo$CH;+8Nv;eqe
_)ov#Us%)f9@pEw41WNbR(xr6H^0D6!_T<jqFeE>O|cF*J7FDa{Era^3s-ssG%3ECZ9WWiGdP7a-MsTFtVsDo=ZM=6r;eL&!M@E+
7iok_x^1qZ<7VMySK6$awrnx{c3km7SfpM*HQ#w&M%TT!+6e{1^@O%=jsR%Hi&((&hG)Wq;rI;^=O#2fZn}#AMa#zPc+;(iea6y`
GE%Ui#Z=y1xZsB1rLO=)r&Pm?ay{mP-lS`W0(W7~kHA+ew!?@Qf9RLujW1BIo@d2>bCU&0V8Y?O;bdVa;XO}t^}|0-8KR{2jvwIR
1;{a|NZ$r%H`g!*u*G+Nc+z76?8qKg4NO8)nk$vV;m?Hb_ze@>RdFFWz!uJU{V&`t?|S(-`gJ^P6J}W<{9?fFY`iBcKpz}8arZz_
LAQ65|3A-o8pmq{Z-Hg?eFtOX-FF$>9iaN@)7&KZ3@kUi7xysV2c1E{MBE_w5p5jJmU$E`5H~lUP1+J*7~Z{>HdD_a=uh)G?B@f>
6R3xW6DPjKnZ@lYzkGV(WnO|CFbkFxk2vDQ<AG9$w4GSU!Noq_;BMk{)c?XeTyW%gvCb__OedIyD;=i4&^i_n=WinR!tJDGa`8I=
R-3DK|E{&Ckq8NAw@)}Vc=3S$dKOqI4<Co;M}TmNxU+ZI;{lEf7auU~&gBRL-lTywf=h)5_<`}f`SB2o`7q&-wRdl4wz~VU-vSuX
z7GI>BLGwq=KC)01;6zHiw95rz*@p&Y}1S%#S!J}&HnfUFNUQBZi#c?S;6sd@KJaUT8~v2v<Aur5amK*GhPu<QXD{N`U+C|s>dI~
#bU|3-RpnzG6Ov0ysh1l$CthjH@7i!*yd;l?{RzqXI;ikCjxj+5ycLMaLU6>kJBoIJX;W1!K*LuDtsUpfm-eW<!9lXYD&SP9{kBd
bN3PXJb4xO3yPopuEStIn|}^#Na%*w!P()p3jjYj?C!e?ump#H*Al1;#t`?K7px42gustpuM7)UiI?lN>D}l6J1maJA#8ljqen~b
a4aTb27smWe3thoxWhks!u))Z9vcT=UbDeT9^nm$O<Kaia%vKG7uFK%xw%(7>bP*g=+6RH0AcEw{}{m&LOMLP+i*$-+7XxqSd2&m
;Z_`7c&3OONRx%%M3jMO8gQ{Eo}CZ@g(p!)gT4PmtF_%~nD<*BX~g#P0jz*uK7K@WWxVA88ZHv{6;~PFobYlaX2T&2e0zYg@(wr<
h*&EemiZMwx+?>6d{`SSBykVlJAjb{^NYZ3CIoJ421#ErJ&w3~2S5_|fJivPjTN+ZX#ox_Ln!<WF=c~5v-E-)KmiML5H~=c9JdjA
c|R3Hfj9tmY9h#mVQG3Cj}N!&`Hrwq4b0=rbvfy;93b8+Mz)n2a0Or+(~<Zce+<*~0h?iZXNwwsMLEQ#?gvLH!uo~V_`f3|7$^ow
geo{(`-c*m4>JM&FC5Ox2Q-ksou5JA_Kv`({Aw=c+pE7ad=1BgV|E`JhJ$b;@SQRw9;UyOkHf{Jv8~2t<)g&m<Qa<K2AsBH>(>GH
9!C<G#vxc7+v=X;NOO;W7z)S3LiEWqUU)_Ru<u8rR5&TDZ+i;!aKf%ViSw|m4J_IK1W`>ire|QKc%|#Z_b_}ZCm!D?+=muI2_-lV
xMH8}!M=>ugMUP4Y?dyJul4b6m_D|1?DAUk7ySMUJcSCOtJMM=ViY_A7KhjZ>jv-#u#Sit%ha^{2O5x6U@<bfhB?5J0ie|D!reZ-
BPckUra!DW)c2C#aAfui_yC@bQK&)HNMmgADMCCPJz;KvWjz)%MJpEVPh@_Je_ls;`F~fqr$Vb$GTyuSazeNe2=bERwx$maj{&{w
$WV}nN*O-84g4WPF9Fc$xWFnlw82krxvS$(P7<AkZ{|TpC(<j|@s^tDPH!BCiF@s?RcwJ0;TU~VNEU`+1zhf9(=k+F1`q3pr(lwT
FN?TQzKY-I#yA{tq;Sios&B9gO!oO6$AzwYCE_JCA4a-tyja=}Pi8dxD#xG4o~RKXZKOX23j9H&mz3$i{{i;XF5X^l#rg85xY3%(
r67=k-2e(!H2g+C1ZU+4hZFk47vj?89Y#H1xbxjDlK?QW8_xucG^~Ccd~sd-0!WMyjlnGt!#Dq`P`nN+AhU%(-4LTOoO8|Lhd6It
?u4|-|8qGsbX=}yh{+Jp(MV!T+Xgo`l@E6TQgIz{6QiE7t8f@^DdK{kJ98^c`c#ZXs(52O`KWKqF)UaO;K$7^34i9+373cui8Hw|
h0EkB@LOn3Ju&UfGlthjG=1d>z2VnO;+Z>Mtq6qL2uVw>LBh%WgL4^ao?Y7@LVh3sg3F-s?e|=Y!R$7Uz&o8`^@ZjGmoQe*90dd5
^l%KQFD~-nHzOj>5<h~dg5Vkt9lGUSVn-F#U`6oM_U37wmQ%aYFJo=;pYrM~^rX$BnD~VQaKF+M4u5%RfaThiFVXrwj*W}(G@bj2
+=LBZ1E-{H8d3MgR0oX11M#Tm`V*dyOlx{(@939!A;%7J)k?S1<5MoU0$7rsiKn4K42T0d!o3j))0^^!;4JlUb3A2B&0mneT$n4w
qjk8~?H$3kJoeq*HNtqqC&7AM>_>arpp3v3C<lw9yBbkc-_>?X%#Gme6<hIhV3sj{7hi`Kt~71aa=@V-4!&sgeU4WJPc;bY@Je;~
24{AbXtlEU)mJeI+QyZs&47!52%*||mSH-YqU8%CX2UY#qU49@N_i!ZbHvwC0))Z#0tk+Kb7ji1WWd00!Nq~+7;#XOukX#+F;y|*
klHZ_Bkp2$4@~BiL{BikKob3xu<7~op^WJWI*)6Dc{<PbsR*W6>8SXT<)Gk{2@8BI0=<DaUq|^yROzd0J%41o@xA$Y_xX?_3L_}%
>~WZ0W)cFgL90gCk~fqoF+4$+R}cVyxx=^uOfkXBWa2p)46Z-2`hXhc0)xgRLjWMhWf%c|W*}o6)1ZtTe$^>Pb9bJ^q$sUpT16RL
$3qJL8y_%GIIh^n3MPX|B%bI2LDd%?dG-oM=#+W#w^{)RKi19xVm@Y_l3x~IJh|C7rK3~vh3{mo2M3K=6~s}&r^B_NRlF4~kas%V
4}sY#OW@$FFl|>cv63AQOdp&M;U>>Y{ze)hJOa(tSS@m&H-I0yb8Zz7|5p5wDN>fM3fwn5E-oWaFZXY}!Bb<eE-YTLLc))}RZP2%
$0jhV%ka!GnWu~{Y}v1qkK2z}&oefOj0gupDDEP`0W**G{ACU=j=+B#L+M%ZzJ7R`8Au@7OF-33$}#3ox^Bz8>KXtM0&=W->sD^E
|K>vjM!5*v4Vz1&;INg)d4Jb(Xr^j@lyu43Bg7i4NYrvuUvT``h9)I{_;YwLQ&_f->JRK$)x!|uFv7vYs^j)_Ty5I_JFv+f$Pf@l
TKCE`kD`3#-F^5-8LT7B=8soe#uLgpf_7Q1aN&-XW2bV*o}S$Eag314FI>Vu_7fEh2%j6@{n(QexYV<XP0LTgi2CB_8y*#6y6Unr
J5;rIrjy_G6s9JDQ}X}AV_hSy8NQ*6c&{b-W~eq`mRTT+Wvzj^KG>=+-O4}l;soxzLmUg^jVFi^F6asa#r##m!(lJ)hoL|ua$u^U
$q*sG;;$u|S=(XWh&L2#wc!A-zzDs2J1v6>*!zw@kzYBxMLV+lPwuCb?omGJWl87-RV=GmrPWeB^55f^fZ`mD4}D0rFav_`$1xmi
qwSern*<|57X@&~AiM&Em>hRm2iEtMybe7a>kY2s66#}UYnal+nf>~}?*)&JLH$ve;qE?CM@(R4lMj<UdLS5hq5)CPS_0OTOc852
@kP3wfYC4bhPx++p9qw&?=j5h0GHwd{uoR3g~RB2<=<_Uzxf9_qYqOBq_HgJ6(0+yz>LoT)V&@4WljMQ0kJQGT^vbXfl_`4m^P+?
05RVZ$N0ry=jSPKEKA^!6Ebb(S6}|%Pwb8;+`$jGX&o--3sxA{rt0DsPI9WQh@z}0gu6L09m9Z#Ka{w-6?`rX%+>qOVxy(H*Sl}h
k}l1I52orxUZ)?XyAmweljof0iJ&3F23*1mc4VV@pmSn^g!K_^?{$AAgGZfrcZ6DrHg2~xeQ%k3#JfGKFh(ul*FH*^C!#Re4R~~B
*{chjIjsJ?oPEN7=CiqQKjQe|*IW3C;O@++J<OmrdJy<%dkcZDa^=zZ;!R~m@0ei@0vVv_hxWwLN#UL<w<UA3D7m?8OnCZYqy0GG
u8hTkIJYfE0HYOd>7sH3oDuF1F)Fu_4$09oFx3Ko!1Tk++&B;<fXWr096t|rMb{r#v&7jBxH<4zbO3OW)oz@4uqp#k@@}vIc5C5C
h`bQOj=c5smUlOKzUw_KmZpPkP)Lwu58&)OyFa@12x_(>ZoIC3)E#Zsy2W*DTB3{gY#;*ekK2@#Nn|QHaOXSTV}7u%48pE_8m&Op
x(49cE32!R1?U!M;DneGXctj4p@rZt7iyE&GQ5%MYj4%k#~7~gs0grd$J2sqNQa&iJwLoB<L&S~d>y_KI{9LPA1&sE7!aW-{8<B(
0Nn0ogi~Mtw2GlF3|JUQ{WQF!*<&$tjzC2r)$Z09?%)CuOpP$y#F>O}I1HgFuS_9fx47jYA;jVTfMp)=;!HZOechzvp1;AtwG_??
q4qi}yVbzx0n5VqrAo1~k_8>&WJCgpq+=TKJphi(5?tVnPgWH0FJ};2VQ}GjF%JSuhfhy`0AP0kXljxQL44oH%rQgwF~ay>d#=NT
Fy=-ANUl8dD^iXd?JFwA66;*EU_pP<HN3*Glr8MLtotiJam;6g7XYtEYJd_^vsLXjAuP|_=p~G&7&<~J9069J;r=7*@k+W*hEGYb
fK_a8o^bVmh!o-z`ff0{ECJvL0Do!enKQAxZX<roz|#MG`e7!L$ys7k><QOrQRp_~;x|s&7yx$CZfegf@7DARN)-&UN}h0P-Qat-
5Z*rF4iSakw=V6;l-WvmLLIn^aiHHd6p1}(tC85Xel~Nv0?x?|cNU)_B4PpVMh;XubE#%UZ#1E}T9LUZ^OyjUHS+~PAU&`2qFe^>
s|(o5jBMx;6)#(gUT=$2(^oThE%J3;3f&DGLzjc|<Z>pI7q;`l2Z$tD0Ce;$a=UWNG?I)4QVt*)vZyAMsV^#T5~3dwLHP<+(@kqH
B1nqU-JkEFRdkbb$`TvqZrHfcoS10DBVoTfW>|AP>pOsR2P@z5Mc@|J7I%mC9B!H=b3EmYW$NE|md8ei5x0zNmM6kIdQ}EcE-_Zc
9@BJ0#JF7%5#UaUZGGDp2>}QKT=B)O!1_hUVq0&xD3_-%>7A2(-RW9~@`UH!@UqP5s7%QWf}5I-&bPWp(MzU=+!-?t<r-AaQ?U}~
Y7<<WVIbyvm~iLJ7UET=;9K6H#3X&-8UX?;SiWL|nA}xz%!qi(1tRV^$^^Tp;t(Dj{~B0#<4Ti3lJZ69H|!VAeYoQ8slGCQlwr7%
n~Q=cyqiL3Mx9vTii-6cq1z3CTR7Yagm`K`a%QRrH>`m651b7T3&Yh*wtlc(7x}n^g{qnxsU|Eg<D^XdhlUvr+Sh&0Rbf?+To^k(
@Fu-#ndWlhtU3?wMbE`N8fsU@7WYc&B>OjD#81wA!a8s@aTVH#<@x>bup!N9Au~;o$x<gnelb|Jg#iw|(VQ=ln*;By;s8R8DwClQ
4m_E*KnTX8zkCKpz)_d@jSYE&YDHYX0bRWgrGM<}35)T5ikczlm64}1=PF;5G=rlUS%qz;EiVMTYbImjoGM(x_dhoaW=f_TnG3*e
Vu7BK)hNdZSjRLJgBl=`OGv;~Eh6~Livns&UWF@eZ<p`&fX&%(_D33fxPLktE*bIulvw(tv+6uhVKKyxv2yHnv&4MjQOD1R<h}{*
ERlmtP8=3t0cXGO5<YjbZ?!Cxa<BAPxt>N&6zmUdUp>H&L}s8_{8@)8GBeAXB%KbfQ4Yxg4KEh~+@1i3I5!ElJ3=q!C9pxj34J6y
putQ9If-J(B*F<fy_qCMycLTOaJuwTZ8<gr9T~QzUi|k`XuZujB9g~)_ks*vwk_3Aw}CV_K={NmK}~Ga`ZNAf4nP)nHrk)L6ag(#
0e`fACtRYE<?aOlYlXLjJ%m3I3P;4X-vhhnuh<_E=m$+`a1(a1BYxu|Gx27oBHP)G)XiAh!W)Lp2NO1kDUN#o>CEmE+5p}_bT*jl
YzBCh7>6?tGu&G}Tl4|PU;g~?>ii1a8Bfl*jV!yVMhIw}_G~?F(KUSMIE3~C&wJZgRC?e;6ZR=!)fq(@xo&?=7F7I^0HNk#*NZnS
URB@jqR-v424pD7K(uhj;vF_4e`(4N|9v2>IP+&#N}_ovYO0uRK?MGCSO)6wtcd}me79UgGOY4S@2>a-EDz9K`8Cp673;;_i3W01
Kk%=4Mc(<q1;Gttm!W7LxPt{;9@Bs<JxuU+V}X?~7}Z2e?C$YT?}8DwS+-tOS58`X!|Z#u>zf&ivf-b%fk|t?<cFJrOkfjwCj4-~
$8}L$M94PpG`Sms`CH+ymekAzYH?NDN^U^Gl4riCApFq-9iJ*L>M|Vhp}ZR;o+hjsUA5c=4a-T~CEka*0W_!g#_pt?=yNw?*<6_L
-RTFviPtKCoy9%9`Qunk^YKNs#7-$~h>dG*tC$l1qbf)WHvHU?6gAaAi4XB;Obb_;yc%JtxXu9b!$o8$*3|R8tW^7|-v(bvJU5eK
u?iR9FKQzPjw}WPf|98uiY->XV{WHeYRhhA_9o%VyZ9AlD;E-hN{ca=2Y|6`@#VM>O$zZG=jsPfLQ+RBWO^kjk++95^IR%t!2)}$
+6jpXW2g1v0_Z1Xn1|XHy!s#<)kN@2t)9|$BH<THPO5UsznAc%$IKu&_qZEI{2j4nBOLq4ya4&!@3MML3+nBQUF>#rRx^ymZJqi?
9%dbtvu17jO+lIedk)wG08=`gVA=IS<Xz=_RT&vUwM%sy@!^U?ND0`Oiy(DIhlo5rhJ7ETvg53CLa&fs?2OD+J&#<W<)fK^fmWZx
D_H6eYR#e#rAxrt>4TRKt^od{h+C9C7kWDadtpKc0MUG4_-C;nX$UxRwvq_*xii`%ukFHX=<{|a{4v(wM{fk%9G2zmPTd~&9uj$%
y(F(sC8XKx_>E$m;Y-t!$$0s}j-)~6<GNG`M)`~az_9NgAZ7$=(;dPJ*Q{R6CkvoS`h|sk-PJfC8q|V$C6ElA0f94SBn^AN7dT@3
<#?BE5<EQ1MX*sd-RDS;ja47_GeaBDv%#g~Zz71(zT@jjdP@JVlT}T+cMO&oqP)6sW-I8tj|0y<`GI63<hQE#zk;P<T+hn;nrId`
#=UfWvMcOysmI>|`Z&{qS0rfrxiY`pYkiU>*vJK`y)ed58>5uhcclfuV!uq?ljZg(r%bLzOLKwM{jQow`%UYe^f|2VGZ(HN1U@*;
pk)DhvGI=@R5ln&F{Oa*>J@883-ewt1`Z;PjhS*r<1qYsH!hl;JVKn7mq96wh@XQI!Q*0aU5acD$&D`}!oY_fcSetDW|i4Q*8?J|
`(-&At;rBf<!|=AJa&OchbgV{?yI)^<9xfg6_43kbuJnP{*Q~W)sutxHXl$ihu)GHEgufF2ip#JW^0w%m1kZ-oVu19vA_?kG%{Ga
6}F@bJ>b;5%Ccao{#}n`TyPIsoj@!%Pe*zlGxVE>Gi?<9!R9b+<MYB_ezEahCW0%2|NS~>+5X3Vw=FZ{(YI5Dks5Kkk4%Y8*pihL
+;nW(jVx607xAIK&%ggY;T^EpCmm(8i>Kvvea)Qky40{+{8O3ywOu|NmSng2R_0C4Ja#<5iZEo;^5f5^boxZVTC?G|38-VecbGMA
KYxtawhpG|RtLNh+_QXE_ICMn4y2W_uj92801lCUaO!{I4xR%T#^VAf0>7z4fn|)fPT_gw|6RHAja;0Whwp_CLF3_YLU01Ow4|co
XIQ<iZ%4BSI2p}}W%vBHZy<Bx5oFT}_7VFN$qJW^#d(|Z=0D-ZPOp%}d<i@SGe6|<EPwgRtp;Q`ZaBMkUhoQ$c<ypsmk%ra-Y455
#$QLm@9xzEb7Th-caMj5rhAz;)<}$Ovv>C}`;@(APaKfy8(&Ys((yCA$p%yA%QlK6E!m83xTBnokL0T_*-Y{C0ELdZb%1tpHDFdm
@@?WHr@tBO2=J44v^bV$^f%ZtXF;k@FJ`}5XjBGd?PK@mAIrk7m0}W|fX6ofz9UDpH1b9wi-*58lj=FL+J;l`qZ%<I0hTrJjl^?U
g@qJmJT)D<$j=UMF)}2NRemh<v=+88cxH(g%g|)s{~OveW2E|P|2IETosd%`<w*O(rpGhWU!ov&;>_bqFMPvVbjxX9Ya_^fD}_<b
k$EQaXf0zrII>~!yQBoEH)c~_(-PmzPPuhpxWpXfqIxIdhn2;S8+_88nTwH44-5}Nf9&lTGlucKZfu`#A;E!F*BEZ%(XJlm2wrJ9
Cw6<`F2o7f9UhGVCRf4IZbx>5C_uwz<pN8U8wq#H8QUj<>ZDlanxt1Hif9q%tx_nbFqj`h=9S2dEa*Q=k@D10!vlsZdV7bi6|;wk
**j4yy7CfP3wYF|am-}%l-prK+&eL0P^`IRd0{mAdeuF)y}ol(HGJ#HOe8Y^R_j3sJt;Z=St|29=LkzJDn!)Yzj9d&-`!TUB1Lyq
bVD@-t&&T6^%wDGw0=eUlVwwnTZI7l#8LuDi-iB=RtgaV3s)k+ss&@t$#le>Ir(%ghm!e-*0JulGli4h*t5Y?MH4H^GGFEZ#>;79
zNgLsIUyH5Z&Nx?<Ttj{z5{+hsM7!&@{=(MUIVfIDU&`H@{>OEQr^f6^<K=2xWIvtYpQSxIy_}(i9NA#dFRRFUU-6CFnS96lNUr;
^DDDBT>6}kXzw+-0QZj^i6aY0JUg`zz=#<<6mN)bp%xJ(v}dwW6yhKI<9wKl<^gMR)lqqt*U<aJq82{<X<vNfFm4l;?ywe&f7w*Q
QUPL32cWa0D3T(Rc&duVzC&Po@k!k<B*%~VDqM$&{Xf^McE=97w}yz3)kQc?qhl((V!IjB`cE@A*@yz~Hb?D-!dWsPaNvR0U><Nl
<HFt~y02nXS1KDQl%FZvhCOtlQ~v<LBKD)a?2URbFg${65m5qxt%1%~?nqz5bh%?MAROkFlQ%SKsd`nG%4fq)5BsY^<rI;A7eu2Q
@C6OAQPO^17}w~v;_1fg_06Lyeh$xKK719OYMjkjuv|F%b|t%)c}P3SZKbX$6)FNLT<lI#K65NBZ%<xOd>np?21enZj>-T@9e`>m
?lvp)6rL%{8w?G}Q)J08!5PXP%dlySn!(6yOfuZw{Q}<7I*V$;+3W3nk1basDT)x?AmS}=yjKQkSyfiS2ab!>6S7R0fG)T8UPKoD
7FFWbtMy8%GR5lkXfD>M1-cVte`&>c2ABFAnI^qd%}k#4HIZ>>>1f;)U>-^gMAE&L5XAAeOsXT>P+!GptAm$LTB3C@x(SyU$C-Qd
BwP58dLzC@az)5+>*=Jqkt8kttgwW9L@_IGOb#>k7MaDP9zk1>VcCmdi9>6kfR%dI&1-goRuT4^#;sS~@W>KTX6&#G>=tD@u}#Ze
l)0uQ6Z&(1XaiXU#9i&x`7bjOSNfF{bUe9*2wiS8d91L=L3Qel5j5yk#dVEB$fW`n=p3)NgGGT&W_Jt=DsIZjI<CvRhm##IOb9z>
z%9d{4L>$B>;NkL&rB7&V)y^emK<zFr)rITY&At|?pLt(tJjl=g`S<%@#Z5jU_HrhdqEH~uiAHK9OW(q3mMQe)4(oda~&Pdb{nVd
bpm-i*jGKgyGXi>BN4ukbmx^e*xRx2$-$cTc{SLXrT&k18v}0mabS}Sf9@>Fi$ou<HrT~6VJchBw9j&s!+1GU6Ulfd2uen-3_yVj
auc^2h;BHdOmMuiLe7)T!m_p%_=0#^@H*e5apUwTR+&%DALUcGkL0<UcJta|0e<^-Q5+2D_M0{1R*ae)E{HJJ%0n@*7Y)!H*O?uQ
+7xTKVYSluvr$nP&gi#iO$`=k>|SIhIPy^XhN>Hmm;rZp<~eDTaS={HkGt0kEtxE8g^{Fy6@d^Pr2k(s&}em?3?yQHBf`M24Mu7k
4AW=bjKva-t=I>?!rN!L6fulQa(5{js5i!EEyx}JZWSWONt6+5BT~k1-~L@M;CC}Wn=#ZJ>f-j-r<D=lCM|n5kd0$uzXL3&(%-QX
j9;=h*%LRqQOr2eK-uq>nF7e}RJVu_i;%=ut74MSmlxWL_Krx^!JeqkY}p&~Kikc4bC~3(jfLkBF&S96@6VALw?r6^1^5Vnb<&+K
e5fz)%vjqXU}tjc)v}0i%kX|FdIJk?Eu6;Fde~sEgeGOoa@H@n+qi=bz2--MQF>`IkU&Ms=Onn-gp{K^M%qep;norQ@#LzDpJx{k
wra`c_?3_cmaW<Ix_xH8SJShx$A5J{)z;hm(e9}S^y=|s4D?IZ0T>l4J?~I?%qH@N&%hN-mIm7s6)zx?*$u3gv$_kzF}iQo{RT@e
lnebot2*r+#%4VBxQDP3l*cgPk9QGMt<7=zJ3Vq97Y6K%so)8IaE}%%i6}SUD@N*YQakyuN>(*h^rx%uarM87Z+74wu40Wp5BH*-
3YBMp0~eAkTR@Dlio3;U3oAQ_rR>sU8`)OSD_IwBOgLJYNfz~Jj3F|aQmXF0A<$E)i}2%4P7b%8`?=))Pb{w-avViGJ#Q*_!4OKi
LU+F!s&Pk&6`3NWlckD=yiv_KCrs^j`}vg}#ouK`CR-y@I$@cxt%1*Lc$;(nPG&NB>50GL^5?y`t-R@28_ZW#R5BQI@rS)RRv)we
Cl#y**iLdYS!9DNDOZZ+P|9MQbGmpo4VQb)3<>42DKwUVaX!GPiSVj5jB~RRD^WY)8$b${t|x7`IcBST5<e@WMV9B<HWxQu$CzJf
CmC;_Rh3xN0ZznKMgWWlW_exgc1QZ*Z?f16J9JNaTdK7*)EC0PNGnPHul{!gf0I8p>1>_UmRrO=i;?lF7V0V{c5xcsW`s|IEKu83
W{X|b*woS8VZv~+T$p;c9v&6voO9;KQ3;A|nsWv&N46NNTY6xvtr|zRAJZZ)%q)iSyfVGiRqLqSoHD96qq=$aA!=Lj>MH8Mu;2;>
Eay^B&3G1Ypmxlj6vLxbVc^HUQrvIt9XnNT^&kUPWyhXeAwjzC3rzbpmFi7zy<4pUW4YpE=5m?p)#ARWJp?4$_o{v3H~(;1b))+5
&{n}6^emtdkF(-;RE<TS6j_XSNf8dsu1xM;<Es|yE~m4=FNp(AcIB(^(DV6n;c<Ic4VW(y(4$kDt#;S%z#`Ywo)HGRp0FP~9x%Nw
{Wm=OYQ;EK{oz$8PyxhwL$HT+n6!VuIj@Y@2Rb!E)y#Hjb!t`ZQtc5i7J=DwgOxBau?;y1$#hAl#)?)4syWFaVp-Y#*M8Ok86@A<
6Gg)ac<`_6Jk##>E$RD_=e1UU71jQ~x!YQ8-Yd3tP4(s2<Z45HP4Rl!0c36mco*v{;s%$9rBw<?%)0Gv&H+O`>QKLkUe%2th2SR#
3=G+0qMAjAIA2MwpN)bz<1HGCg+Ug155<i%ha$jFFgcObh5N`oJJv!L6Dz^9Xot)>t?J8fKAWue`bUIoq-DR6(8Vxy?=)f}!}yi}
rsHCUbv3mzi)xstVgr8(06HpR(Xdxp<XjqRYLE1)qq7}=f;zIl^)K<U>ZabuB{w=~Im%YRro369sY<3n26Nk4u%gZkKjG$WM41Cq
s%myBDH349V>pAoLT6(~V_k^Fm^1L>Q|X9~%&3pdCbMHZ9c`BS#qF+KC7d&!<jU^GTT&YU4yAfTPSzNW`<V-KN@R0uJAg1CDAoy^
ft<bpTl_UvD{QAVqZU6b%N-`|WbV3Pk@15}cXPK7PLE|?;if)wrQ#;+N-u0dco;Q!5m%`v8}1j~`rS;!P9Lv0Sg-6p7*f=1u>{}F
N@KUug^~oX$7Acm>lemH<zFe+$xZxwc7KePB&o1b3JC^y%s`sn==FmtEJWb0cWzPL4J1qLtjl7(DM)4E(!Oado+8e3#}6d_u!$iu
kH;)t*-HrO!swFvC#{f8LDD?MOQ^8Lo;jXk$st|JK{@VBd93963YATj<a#J$(<_z#Ss!3LVEJ2ew@Gl%v^BOL>L{{qLEpVtgY)58
bnLZG?ppX>445K}6x`}E-JgGg%P>@V^O(<H==-m$6<<}=FBkPv162g~Rkc6=_(M~`B;AO<u;V=d$<(t20&ZLU%uOvM^ssZT;E3%+
p*q=%JK0(+tv={4irG?!K4$`)NXT&dsz!KaU4(4bB^KWl;M~{_!u!FNlC6vn)_d?*tz<7KvcS9>*Th0gOJDYq*=x%%QKK&IErjeJ
#9p`L)dN)NV4DCSsTtHQVse-*EW?@4x-|2~^It6Z#;#~OwlH)`#8Rqf(fO}Z-eC1#Qyw75Lc(fU5kWMFchMa9Oc)p+=?fEP31p5D
pPS^|9+fDYp&B;(k(6+0x9TIEaaJe8QnR+g!X%TTK2Z#=FZ?1)3#;XCmO+4lDmE&yC5o^qZ^^pa(gz%?J1(E6{>&zHD%CJYnBA~2
1jOixGq9sSfNX^{i|~;{?C3~Zw^~gaFCar#4pSe?)Kc2+@PH8_Rq_&rKgwyA72!!_TJ{ntn$qcjk+QY0d&HORTmRI2Sks?aKe1gq
NkZw^k-CJ#Je){~rePYTeZ&)v_~k@9XK5g&OC`{S-%Z;wo>b9-e`zEuL&|ouYeY#QYNV^eEo#dvKIC0aQ4h&~+EqmMSFdxEl<=AN
Bro2U{TezBl<U$J2v_$-Esru>c|uwy*qMHRdZ~}KGgTViCeXD^QYNyEso+ti2K$|Xws7@4Z|o24_Fie%Qy#YW1KTr$WI%QakWD=A
4_aGb6&)Y8xs4qRI3C9BCRQ>s*qrSNquV(rB8|Ge7q5ywF=A=UKS4noBPm`jm>H#{S#<F!Ch5F16cJN7C^OqbV%3{1jJQor7x7H0
G7J6h*#yB*pn|VAXH&u@3Gr*AgaO_Y7E#=jyo*FLm$w(rXG*^|@EEscGcf_)NSmqb8#09EoGf4-DSqZnC#^aY1Bf8HcuFP;vyg<a
M?Kb9w<}fJ>!o+vv{X8lI*`ZIlv~?Jc&8x!v+<@-gmJ=?<^gdHOwAy5l{S(`=y?^Hl)fs@E|ND-e@R^VAL*jy?!K6OWxPN+7Jsu`
=9-NBYoMt7lGKJDtkXS_*UwBwXrx!fJT1kls5?pZ-SiUlG{zSp+bx$iUYtT}QyzVtV=GY`7_ZFiVZ|B~hF)d1|A#(k5e5K4>ZyHD
j`<^`i6b(6y{V)EkDla4y8|?ulro}jV-?lXLYFU%+mT$76&Eizek49LbJ(vm5jB(h{r~8aQq72PR1cg@ywX(rd19U^kX4$6wbK5$
Qxc6%?WH^UX1}ZD73kv5F0pWIto4emgTZXp!tA7C@22B7k+QK_varuou8L9st>glms%t96G;~500w{7Y5Vqh6urO!8CjP_J2>xr<
zwTi==BInI_tG&p&#v!IB|7{fPT5yzAJj<nJ2x|@_fD*O5VrQrQsGzyhns*ePq^@(sVcn;h2+d!@a(W}@n@q96Qhf(l;G}upoNvZ
^s(jjS4ThfLyXW}#FiP;zAwKCRzgp%!sYO9!QKPJy@E(|8yO(MN?)X7HszYdnRJ=CV$LMjteoV#c23MJbWBxcwfp<3D=u&Eqaccx
KwZ8#A-4phC_og)I2ico*=72mD2<e~SfQ0eAf~HB4V%q^cQrHIt{+Ebdrf9-MMN>*DDW5&xJfcHRT8lj`XI{1Yfif-1UCJW@E71b
ZCC%Re8X3ME0XmRzdADWO5saHUci9xPlO9zbx#^>S!aMfHj8`SdKQU|#mY{EO7w}6Vf#(Yaqed$#pWo|iB!L&lvo+@V1w_0`&JRL
sn`mHK>8gGzx8`baiFSKRQrl0|DO^y9hfS|MoR(dGoCv}6%}QsBEn<0wv-bkkCsVH$!d{5kw!ZhvM{k%;*gAQ&*(r}F_zS8*}_;x
pgFP#slAcBmk3z#1qV(MsylWyu}ds!bsGjY%N@w=DbVw-e^K4tt^ZZO<}<^xQz@2m75IO%U{X2m1xZGRU9&VgrgODw3s{|O=EWrF
sIf>b3*bvEv+@xP`2-+vdzMUIr5)&0bT3Knr;-zONh||G%G`%~3&NVO!#Cc+r;Bkw7j>fFtoGCi<oqrzW;V8)m^hc9Qj_Zw+_YUM
F;}Rm&*L*Q_Owt7KIcMZ7kJ7iR^sNpWLMtl|MsOTB^f0{oI5O-^XuH&y%i4UoUP?A!>UO-j1@UgrH|#+xt}TIpUHhvbV$b{v7nA7
X~v3Y`$>haP4d`LnY~%(<yTFo441tM^xEgy<VNwZ>H^6C>d0I1l7HCaz=GxhwqvrA++LfQ?Maw|W(3ekFZ`qIVTtUnvf3?kSGzvt
vYOfoE1_Ca6?%M5$MWtq=XX(yyjI)WcXn3NZfYh9so8bI)i2kJr}4`EeUxHOOnB-RQR+TcAG;Hlzq!WglTiP;hk0XU0fAIPJ|w2y
_fbolKdZKUK;t}7uD$*{<7&h^pbTBMf7dXFMK}A`a=*TuvY?jIiit0%8yFB4^J-VOwX{5@9PTGI*$CZgnvfD*7nC3lbbZVdPjDFU
vOt8a7|F7U5>r#(51xsEd3k~F{5mo*!szNNER6RKKmT0SfS)WeV6`=A<o8NEST~*VD#gE`X={4kJX`#a9OThdU|;>dV&E`HJ!Y|r
*@;!(;KLW|-DFCm%W@vlRLQah)@U`F;4s5?@~g8z5;HyQB7S&Qzm>^TlT22&Vk$<h(bfz}@<p>tezV8!*kiL9VhQT7rG~O6tYIjL
$98CZQx^y8)1LL9>=YE5lct&PDT$~&l=XU9+K004QrMMEdv^@ZLoKO41uN=AP>$HN#{5o5r7!DERgn+vDIUaYa$Bu_5*c%}&M#%Z
h|@SW<)ZptV9qV3H;`StR8Q9Qmbhds%c^tfa5=O^kMM)?VI;RGufX(~wUEzJ3;T#fMYy}OeK+sS-ihDBoU(;1SqZDQ$ec~~+K=?&
kGwR<v|r(ewWcrQ%a8<%En?=i_m&%!GL7apP|oPZRmwaiWk-K0F!I8%cprLG3qZ)1%4fl4&3d)<ORTb2vwK!J0#d5(l=E37n^Le9
@vD^ZRVey(zEh^d(}~>*4+LilSgvIQA+^$~8=NOm6mU!11|C-4nB1z*6Zr~JxlCM6rtiAFqmD`@41Hp`c%0t5BmaX5lD8TX)kolW
s^)E#6!vE=%}(NUER7-dt&&Jegu*{+_4k9(a_$kH<Q2<RB0=Z98GikLAfbl@52inUcKeO{5JqwLZ5K+fqLk4ZS%R6vHhx%M5=b7~
-6vXbju*n){7`IM3DxSIz~ej63NveI{4?n`DZJFZo2YO3mKX(sE615!(sI##Y|?-ax=@S~r`Sl?Ql_cmw^LtP#aKQIC%G?NI+)N$
mf#}ufQIRd>@fIKYSl^0icGM%+~tmF0|r07yF(@Lw3K4GNxLgIVB!oF-??t<vt=t6nKPC{*v?y6Loao%I%&d8@P#Gmk2?YOrWCj+
s`rX_>BUp6L|}u_dh9LjYWGc+td8#n#7biFUlMcCjW!izsS34bu=XZ>eNFjQet%qfz`X}$V(?{ZqW$2_>etvh`>SJ~`JWGkfmaq?
S)i(?Y)GE&z|+hkwUPp+jkSx!-b}iSLD6bWJyL4EUOB6$vP#W-v>_sdY?S&>nfaV~&l2DI{?Mdhnv2<Wwbinvc2GnkrLFEQZODdk
rPYJd>!SC53Vcz`12?*l8c)NPf-Z{r{`DI@(249wnZzjF#UhHNX8vuy8%yElcL(51Byx<)OSEk96a5U3-sF{~XQGXIVxg-$&xSV%
Vyvb{87@4rCK<(+;WRiZH09<Xn0gXluWYe$x2RrONy*$jV*hZ%2}%l(7E%c~ro?;sDUt^_sUfoGpV~UoO26s5mwGV@ASXB-5qZx!
&Bx-{sKPPJI+P-*<{kXjF?WKBPGhErMi8fi-)F8Lkom~*K<rtWUl{=cLF1s(A^`=o2#fgutXMLMY!WT&Xk;HYJ;8i&jE2-*UjVT%
ZLc~THgmj@MX{^fHOqP`&ShC@>tOjLakI#tcv9V>Og8IlaIG8s1_C&2ABo!Q@+yeAN4{;E19UPHeW#Q$i;7m)-0PWHDw-#*&*u3O
Sy->v>lJ6ZlPVF*QIT4dyM$TQXmSlqG3O#sN9KXkkr-^bEJv>L2LsU+(0=Wi$>Lm(`yxf$hC+c#UGDAJ)P*}{ky`cfpHpR)a&td#
t%snG7)-MZ2lxk(F3xQEFQ-?jfIu<#Q*UJWp7H{0hcdCiuSQyVoI6GZ0J}H%e3m;EbTG;zN;ppva-??InAt6e<H~33mF<=%BeO?c
@gq~w)*5emelj)qz4Awi4n%$G-X=6tcYgZhM)9B-OaB1;+l<%3`$sXTKsPZ~f4t)>pZVxCa_nxQZ@%Ji^}jO5JIK4LhAc7JHqqhB
SQtP!%HQsX<eXVD>NU>o39+AR_R2Sz?`0uw)6e_kB%T4UDlYvhB{Xj$G_rZ<!OjbYbHI(hcZ9O6)v!9<?h+(N&2G^hPn*U?95roW
+pB4k_ot*kA&JB!#72w7&yU+E`2{DF05w?(L}YOzot@n8i;DB?foFFAy?g{R-zM0JW6)<myQxSl^~Bz1nl!tM98ronR8>bB6*w=A
UiZh5!nCuMXk4-IQWayyBJ(jxu5C@edoHv5F5eBFCF>|8lN||6^epT|p=McUr(S^kEfTAkWmSn?tt6ot3!7yp4xGe#WAB?$O!BU{
H|fBf--E=6;0<_RfKgt{aUp*-tyOr)SwBi<1aURIasMf@pph-Tv%U<Nd&1`SP9zw{tOd5xnTfza{z%6jzF>-53JFvFKT=0$>4I=p
5Z%8r+Vosf@5xo%GLVc<PB4eewD7%d$bupUG9>~ot4clsdD5Q9eicicpT~QenZA;+-;1T9_^~hIxRr=xiPhN~A<3kUBO<if6rvsl
$?o{d`?6ze3l$0NmnCVN@B>W}LqeMxr=^@iR>7^=qDjhRyfV?nHi6;``xWttK>go`8|#+K5{pQ^WKkDY5xA6r1^D7x<^;<uMPu4l
%{O2GGg!qviB#9RI|71{L&^|~@N}C@CA;osYy7yc7n~T^d{I6&*FkA^{tzFwj3F4VlgB;)+Od(8&2rS!bP6H7fl&>1`q896a-Z9K
as9G6kOQmI)El8v4yXDJk`}e$cgm6|i$)<L6>h0OBsCK{O=psfZ0=L@g|wsDM^R4P0UA$YtIz{lMT1ssdUX%)C$Chi$)~aiKSp7!
nZ1L=?Ihq4ZQXhfjZjF#Yg%4e6GmVwz;xNX>IS2E_OF1b`%3vn$JCe9Oi8d&38t7Q58MVQt&SRTVVTlSgI}aDL$zb3Tt22mzLQj(
6~aRK*GMW0_MZ1&VlIb&duz;dmlpyi_OcX&3k{o9)DUL@s%D1}$Ef{r4~su99A4py6V5XGDC!GhE|EegD0&ZlN9CrjS=G#<3wCX2
igA#Jrj~qEH8m`VF_D)U&Exi=U&R_Z`;bToG4&rxcxBliV26J>)oAK1kYUeFigB?jfU#)8tO-t%KZ0XA*+i6MU~97|F@0`^1a7Mg
)RXc+!AN*Egz=^UX%WZlCCOFK%PtYj0`lg@+*>)np8O<lq=L+ZaAdRDRHeVNkRs)Sow8GR^7ho?%v`iCGj_84xF%M$*_~jatpxxe
3|Lm97;tA8w9OjQQeTpn=ISfVtp!YuYzCe73a0Larb$?w;+8u+PFt)n+ms>3x#jRwHt@1#FR($+v`HVN^d!l{8<Cq*xV07WB>5!y
@(Zp>;S=j1AB~AjxM?A5@E1jiVARfg*H+Jj`o=_=5MGnA)=XbcFi7+V6wNDPjd{J8u0qhfGBrZwQw@7E!$`mN679s|7Sp^AxMGn!
o#~(Zt250ymU@k=I_5$`$&_@v{~h^m)VX>5ilAfwc)8&S8Dtp;u3gQTB0$)B!d7c%yQ<Gi*1VVSF>h0={~u+3t1&BTUe<I&{9@@i
(LItekUGm*wtH^twlX1k_kE{&*;Hk*=>FFvM|>GcR+VQa;NiKg?u(;z*q2YlR^D<zI8t7#+!~yLY43lxF!tAB7t(6xU$bbaQ<-SX
I|-rU>p5^_?@iycoh+c9EHMG_CsWsyLFB>T$vU!R+u8;xFdK1~AU4-$Pa(5}2Ja~G##gSV4;Q@cWYx-ALiN1@EF&DT9ile@SmkK=
l@u6HSx}xpy0`G-MW>Sy5v_DI`dC|h0q#&hacSCz<jgy3trkLx--i~Ms4cEVA|C1(z2*^tZ<3!<9<%!G+(gO7Gdo<Hw1`c@8z~jL
{+I0Sy=K2(&CQ@8{5Q`-$XO?x-ivRRI^X;1>T^zY`8=~+o!Qh4<R=wWkiGKdH9e37Jp!`!9>tQw7n1*<nW*F$vOrc`VU3tq*rOM<
p3jEg*j_-N4Uls3QUqGr$r%k3%~>Sa6iGkRvx`kZgcF%HtEY@9-8G?y$<mU;5a9!ZI5EsA3l!t%iwaN0DCG(+WHgq6%zF;hQHyoU
)|GOyvj3pTdDxHs%A)uJ69x}*46k`pERT9^s08mhTY$%lVF86Gzlq@5FyI?;FK>S4|17q{l{kywYGI8*reWM=@j1u3NpOV%i8$R$
Q{3)3gz9&Z1tY=acog{WkC;!7{WE&9m=xgj5@MhE24fxz;AVA!YGTT=t1$B#$ClB<yCR{qdj-%+5j@yYRWnX3=In$%4Y{;SlJTWH
AL4+Yc=%KJfxKrit%||4=D&GtM1nEWv)||^0VcQNk2f6jAr^0o(lth-#G<mP$Hgx;WU;})jsdpsl8m&>zZXYbHe{gIK7M?(q%OlE
1yMj6h)vu=>M9cnA~<WV(jduYm$#MoO_OW=H#JSprU{g%rivkri@_T)#CHjzP9F;I(nKpF)wjuS%T7U=8m_oBHO#s&M#!gIjmocB
j(_k&O1dpM!SJXdZyIxwTfsZ0me8%ba`I?bZ^}ib+A2X4Gr*OxLNzmaF=pTShbb4!#!2>=naW;81o{Vy)p^ue$v2I@DVqEMP9sjc
lE=B>{2u#mcg!p$?A+h4(i4GhhY3*9laDeNPr!nqmy7}feaB{m(DW^WL{@FtYgG_S%qD5RPqCYADkUY%*(rZ7aIyPdEtjgtNs+?J
aMGZ~Q<Ga1I!z1K3}H)h)QcMWZ`?EP^P0G)NwUlgVW>vB{Py3;G|I6KEEYDS&1SX2i+%v#)u>BL<6jodfWkv3K4gUPMI`)HjK&kb
q`=PlF1aSRL{@9B*+Mr)yVTC1mcMKa*8QOrqF1L=ImSifV^f$n8hStb`DCqRYN?kr#6JOu1pr3HE>9VPn?^j6z&#bxjc^=pN3yMS
VA-iBS}6UQIK0;&W_-Kn=JN39qcSqD$>KSPm3%KgKZ-u)i^v@`>a9npl8Qyco?BmZI0CRm{I6t122HhKiD{%Rz}{M?>!i~DN9l(%
%kHYXC@q}%v!dAs)fPOJ6%jv*ghP7r&4LiJy{ufp5$Nmip>iWigIG;W`2G*=o7`4X3{7D(Yni!K<D8PuHc0Q7GKt`6lMHSm?oH&A
Y8-9RU1a8fX7iM1rY@YaO}-1cN7Ie7k_A*#*vF`s;g+l$`)FOkBGFv}`vrT%A3deuY#z3-44s}4n^_6Tpe((*G}B_5iE52i5e=Y2
f79A*O=m;KoOC~|+J%Vt>f1%UCC;RxI7y$`oU|L3lKUK%zPl**QCH8h)SM0~K~{?3=b@eHHFA)IIpwdr<6an<{~{#J>WZosb!4ku
`pr)Gke~}gNNiP_EwijwjMYV%c0}lWjA#8{UgVMeMWi$+h0ctzCMHwBA$}nuCe>ACqOwIyHtSJV9UG^C^Bp2g5|;RM05#)+!#7PS
PKgbZR5IXC_fowoE-FNPiy&*xqjjnEYWUuj%5rzSxS&sJNScxXcCcFV9D{D}i&TC+bgQzinORhe(Nq7I(o;vqg?^vah#yw9oDZ!6
Q?227T5pcKFgCp8yGR&X5+ma3=||JO(%FKi`M)%)SBdRrVqE=_JUHL54<=}E-l{#f%Z9LW1wg;l_PH?45^KF^KsG}FJaow2`?!k|
2Gz1mp2Cdw24}9m=#k%_oiL%PtY+|cDsY!&(4xF%S|Sv<X0hWlOGti{s2Tafi)9Mi6b76roO@lMC$_-wg5*I(xtT+g{V^wxy&IN{
W5fw<l%(e%EmK10EWYctVtd8YXEj>NcW8F8y7{b+R0T;gA)fT=TE+64QTr$r%B0Qdqys@mmo+iA`rVVw!qmwakt8gWn?qs5#SS^A
u`v%#F1DGUkhL5(_e~=(3@>ScEz6RNd!#;p)0?nTh&0w`<7$hqb^K|nZ>v2qE9xi&(H}Vw_!Rv4L;q4X^`)nvimId=m$bGLwc#gv
8$X&TuwX1sHC`yOXFbPEg!DXrUGTezIeXwpJrmK46zroW?x+V^mP&uzN^flb;G>C@bY^Oz4e&5EyNnl(Rp_&_=PB!0`>bM_DMHFY
e~?K{a{!+O1pil)JSlX!XGl|<vcA`5jd_}^U8u+1GnWRuKtBF#op=NeWu8yeX5+v#(&FC+vWV)@OPc>jB_eVKN)FT_lPhI)dB)D8
s2Y`QUJ6s@B65f=Yk6!gVdZo&KHM+K2jfe1nsFm#4asUymX`Y4JDHr#<+(&b@~;~>V`TE5ns=sy7Se|@>f55JLCD&;7_6}9`b%bS
moLZ?h;%gZs{T|8FAC`&!>2qXU9gJ7quNN9di|v-XQvYHy5{!Ok3Th4hyOAFaqX{HyT*>46M8XNfNFVZIOKK#Ra$Rk6>g`+Cd@AG
;iYF{g9&&|es#rYMo3=;s=vX?()6q<kKx}~q1$c`-ESHsp+;_bT{cde{fj<o(;eF7qcX_OUD!K6E$0s@UEKXz%+mACH`Wo$?r?nW
nn?8ya~qg(C0UORV5hf!BR=g~HyjSEHiomhVaRNhF0&|V11>CiwP$OpRy#c1Vyncf^tMihjkE=PcD9wPa9YKQ31jNc>CD9bmkwy1
h&ld7E+#r#rG_y{9dA~iuGha_T1$xKe*Xd4tXRb_oHmMg)W*IVca_+;t|#u+*DrZn-f0TIF-n9lX<DVtdFi^pCd!u_DBhDlOpx}i
%r=?C(~?w%HNZvf)of)du^M94t;hCtXihJaJ)7J&fhHAGUg``_rZYy0^EcL<V+q3k{Y2F&Z<iP+Y{&5}ea_<J%e4q-BsTnuh?X@J
_Cepb|F^VF);pKR&GAEfhDU?CbM%Hv#qJ}t-^6^^<_7haIPRgpq15EE8dI3!#UrJkO=QJvgZL2SOB`a+E`8CdaS)fVDONZ{#H|wo
rZOa^ZJ3KIq`kG^FUWRi3GqFP`RYQ;>U?6k{i||baCS_2nKg8$_fMHYQOJTpQ@MOxAz@3WA&rV+Z&l_>S7txtK-i^FTsSJ8Jszxi
EsVoPo65kccfHupbPTM^_3!pOo6*dq082*eJH?(;q)Og%Qgf{Wz2IJ3w0E19I5>h@#*6aELgfCF1a8Wj3k&xQJvn<>YHfpkXMY8l
eqzCJ2rch^`1$8g&a=PAmrap<zkowKL6*&bu~5(-RJ)eUNBInFAds)3z!IZF#4p@DwwCi0yX!ZJ2k>72++QqH{}>gtnP*m}Tc%)p
4SHr`MR0Slls;avd9X-Y_=znk1;wWN4K5dZJqG22QxPW;ZJ6+Wl(T1(C=-=G?GGu@bNRy-RZ%kd^`6Q&IDEW;B={kQMTFjT#w9Es
jNZpZ^K6nTqETF~NrC}?D4aDbo@_e6gqt-h-^WjSfm#hJB?b3{-dNs>G;;OTFYA-0SG%!!O{dayHHuFt<HlSzYo74hrHbJXoPU2S
Zij!16;FS#33M)8w_>^=+FzKjQ3AN?ax<Bwl2t-u5RR`(B;0VI3m@O%`LV=o0A=bFOV7RSoBKW>&XOxTtL&!odKoAS$6nJVYMKhi
l)j8B`}9QG_;*z~UKXJGH6Fyp;z@9bX!(0-ro-2A*m{Dge;%ZRvrjM;S8RgL8ifgP-a@%@1xrn1pVd-6HN4gjW+MIAltV+g0=n#C
z51~nnEZbfcFvmq(BX)6g&(tct`Q2gXBFq?^~!8W)pSJgl@RIkNRv9KDhmIiuWiPPa+J(6_vBniS&)6}90*NHa9pU_i0A7#bai2l
ZYinjd7Lf#T!bRx%(ajADo1Hwb~fLawa95QGvj!eDa`ZGn7{t7iJm0~;0~Nc#um-_m{^%24xPQt!KP9ct4FWWPN^1RrrJ7@tmg8u
QTL&k=T~>RruepZuZgjFR5b~PuZb`muUdGG%d2tliT)q#SsQGKNc$)>QqNZT3zsfjeI|4+ZV_XYvqm+Qb)VUq2g;H`F9LuiWjUEl
u1@sKzULjJc_{wyU?|Px{z!&^d(P)vu%wGyvC*t1nKl~<Et*z_^KyjSjK=YhG^EWK#HL38kb;5USbr;F+K4~oi}0tMVZUkb1I#jv
0&be|U~q2n4I`&P%c9fP;4}VsnAgB5Id!6RheTSL#)1){gu!i=$?a)!#pix?LiawiO{ukGYDMay!>uB}@6K9h`KE!97(&tw-<~Q7
Q96EsMxW&LdG>k0@m-`QrOrpy|J9{#x7&%SL<V!8D?L%;-d|&1S+w*9UaCIip>Q|NuU;z+a#l?{jd=OVD9Ri?TqLFIY?RI7B5;jZ
G)9nB`efe6K8DYnx9Wb(G3eM<jGHy<43{5)FCV^&jywTVMMXfy>85Y}V=B<vtkk`utMkbwwQS@ZOF_A`@$2l^WhNSafu?pK3;kqt
Pt9N|H&sQ7OzhS6$mCzI6wbD+LXfEP1?H3Don0|7xvTj)trZukzD+yv7V4z%KzUoeWaEBK<bAslZV-LMuPMb8Ju}LOad#Kd<;0xP
-DP1g;G8_Pv<wo{(IjfBM8`#C%0*Ix@hPnic!E|T%(CT4Ge=|7=c$x5KsRY!DD_q4xgn-QH=mdUpg;>X{7;q@Vtv3b4AAe3PA6Hw
#p6L55Dj%4b3yFIalX0x!i2iSDR?l5m*~@rX%S}8>`G1`^W&&KQ(r%H=&ff+%A2O}B6<_mYf`hb!d~++)y+<5=Gf1=KG>7nl)2yc
J+MrSC?4$GsmDHc&i_p&otuk@g>kfYU9r<9@5uZt*$Qp$O@VV)+QEWO_Ts5hqTw)zPRJ4IB2k>`C*mM-!YOS&)j#Avtvk{00|?T4
Kr=2Jn_#rB7ZzV}rl|bNOxGfDa1AMKH>$t(Q3@>+fZAe|2T9s~H0@an$hc3Q+p5uyoK>B9GV{cAD$%OPiT86SNzFbNK-nhDiL^L<
H`VH>I3Iq;3fbDJhh>r;M^o{Ln$(V$FhD~c&Y0_ld}Oyy_?~XLTf0W^M^5W7E@*jgbTRkaRJ|0PCMH*wa{VS=V%d+BJV7e<&1=d9
&pvfcilnNDMs4zv{U!Fe&(XFDG$X}6QyUR8ssPOfoE3QGW|`xZ3%!gsbjCgwPJJPDY#*iR3;-DYF#O3*mMl{;-WwP*DtDyfIUI&O
qwB_c?q7WZS3zf%?3AycrTIaAjoPT0R=ty1_@8So{iDIVUm{Wz)Ox%p7i4jtAz<m_z`iBGG+55tJ}~sUsDp^?ue)TzStqpLvwmc{
^HGIlWy;;6Iij$jCY4255j-RT=p{aA9!x4yqur`a`wb^jaZHM-6s+Be=?Zy;#tJ5qR*pCTYA?vAT1|N@`3@#ReXnA_x6PRdtDJYr
(-KT8{@>LX#$(-!!r3Y<Wgbqz`JAg&^;zPYHNAS@;t#^Gy1F>E`Yk%8exteASVB^1)>N3v0pOw|Vau8#6^I2!urv>nF7M0+k&ua4
Am$N+FrPT`R&_JobEaE)sW`#$t{>pJXVtEJh+V+WfrTcGSzD&mHwlaPYMCDT!zOCvFx}bh&w!3<xCMJQ2MZH57<m-IHf?)*RGAoA
5O0YN#O!cKF^;*ohK3LOV}febCfg5%rU%apTMOtKY(6CCF*4K2vyI?EH4nIZl~Kjk?0?ah@mnGvY#KRlieaB~tSVYUY9W+tPKTRd
Z2pIOm@pfh54CJ2Y$F~S-D0*m_keS~?&R)XV;9^u2Qd(+SE80}OB6H0l87;>o~!|B8uP*y5N`w6tSd!nVvb19vMo{?;n3TDXMz#A
zl21omzx?GIXP=h0mkBbi64j7UGWm9=J#Np$m`p8ZmMiZ(MJLcyPv0YOIwV@8^Vk{Ial?N%>Oh{EW_p4Hfxi8XGdAWll5YE_$Ton
&Je&qW+N2lGwCXEIr8PF-4Yz<tg(N`qcE?+ahD&nBYbI->G~5@!)r-zz?T16o3WvvAq$*RaBs`R+<3|bqnDlDC%Wy7D{P=fo`wun
$zs{(A>-?L4E4V3V;}Js1XDe^Vw_hI_gTo;gt$1Bbv+3jqO<{NeWGy=A8u<HeR4YLTd3wg-WuzyTl=%2F%R*rw=9#m<UPv4*GJK;
8jLEoPDiszp~;z7&XHCET5y_b<080I);4!5G#A7{ap{9h3P*SWg?v{(28=2_&8!Zl6N~fKTCvcyCAJn}2L?8_U_XSPNfE=bxWUL1
5MQXLO$$`~kW}Zpg&Jm3E>punFbR7b#K`Rs*@jGj+;T#WBh`7t{Ucs@6|sI-hQ;S@C1dnU(rl)PSyxK#qU)_G2zLyAo5^7RlDcX?
+Jp%}=r<_tf{2JL^e4wk<K&7HoHg4A#ob<Wk>4kYRtzC@aZd$@mX$pPchkv>L7b@x@*sbB0*NyJD4NqE!GJv0hfobd9N0<r$0m+a
?@h$Yc!2qAXG}&UwJZFy7m3si9b>k%BUT#J>S%3S;SsPQK_kkzkYh)>MMLdUwHtZH!)!~<?N;mrUB~9p7-{m4YdVR%(=a4E&o@6*
f5cE4-I8ijZWm{#j_q^aeM%rm8O};7@GP9yYBOy+*cnqo=6!>+o>_%pGaRwwnl_CQcr@Y{eda+;?hr<Bo%ocxi$2GW1JfItG)tro
e~{e}joU5fcsAm`U91I0@kn*y!BLEateaX>DhD^+c}Ql}>EI-z?7vQ%=fp@cZD8SUG=N)A-zAL#>d|rIVrksNR@2s}$Z-l}*uxhU
D=$$CXvd%du00w1P;orI!1r{T7cZ$KoZCt?Qv^5>5jSr0R{J)N9X!Ex5lpMT8UX<@qSQKkWu5p$r(ceO>C(dj^dm?aN~(PN@(&Di
Il|3yQ-6qsh4r_x4;-(<26E1AtyHD^RPrOgam<R3c&TVzAzp@=ea)jORkKNF%_H0>KTN+)^+#r`Mot+&_Xrh-T|<xqJ}t1(+er#o
XWd&z56}<Uq@DG`jw0z<{)&8C1T?9EXYOnQ`Yf!a-VDY7&ZezgWVw!<o=w${pS>i5hsa`}Dumcz6xID<*=X1V2#m<4__17VfH!-T
n0cfJYo)DjrvMvhW>oqMlr&&EQyj*7@K=5ni*~d`9p!we1mzo6fGmoTVpDlrVNW^@%_Xj|@Sz8e<uiAJ4xHW_%Xq6cCbuYDjB_`^
c2kK)s^ZGu>B;gkTMEgv<{#{pl`1BU(X93^ygkA5IV0%vg3!dxye}$wsASFLJ7;)NW2+Qs%p-fpN}4ZNZ1KOkkP4nq1TWv#`rIN~
;rtlvrsN-$Ko6$hu_?gKME&hW)NjZDaQ!<%)Pd2cn8CfKdE|K(Mi>D~5uzqi#2bH9`h1?-XX8alOpcNlX;Pi_UpS(SSXvE6H|iw(
c~C%@RUF2MBn)|q_gYtWcJmxu%ukUAnc1|vAb1<Z6OuMc9f{>QrhV9~H7>RH<0fJ7jqpxEKKuxWu!-3ptL{R<Zy3DzF|hfe{4evo
u5~ahM~<M<OlQ`jdHAfI`)<Rnvr=)d$y3xIWk{GalTBWC`$@J_5a^bpebL0QDBiZ0aR*|%2`|y+22P<gXb_1LM6}#&{HlUslPcJA
T-b_gwk!7hYy3*?Y39NUIw&(ip*Gyp+3s5e_~<*ev<St|?`D7I!UWsAjkS4}ygiD!tjw{;T{OpHkZY>+mzqql!#|W6Z#exd6(VIK
VEQ@yTP({V6_<mgl|&R|DE7^cTWL8u3u`(WQidwU^~#zUH~o*2f^_X_(agbqV9FHMW$kf0u<%`VwVq%Ke~|)J=hmfasyXGOZ#JJy
2);ePNuQbTnWETkmi((32QkG@1R)1SN+Dx`Fj0@vxJjbUQEQ;H5du3jwg!mDRt{=s40+gmPp@Z?=k7Ri?qn)rb)F2*co?1{>(X$L
k_J#HFTV)qeCkhgJHFY{p*D#eIxvA+{QUI()#}6PYXwsUMQoYrgMI0&I$8dU@6Ao}Waz9!$x6K~cm221S#^v@N5-Q=slw&Gv<k1r
6w#R2Cg(=!Cu6=|3GvP`Y0u&TBQtfJFYDAx?<ZcBBO@)s61|BM+tlSnK!wc;EjtIz5404cM_3SArAUn+m1iA^MYM}FXz_b7diq_|
I9jAb2)p1v^O?h)H|j{%U+i(^Kp^R_C`@J*z%&Ag<En;dzb`M^xLc)C<ZiNGN^%>M4-0Ex1unqinVgP2E3QpS&6fLsx3>_G=0)LO
>IWu7nJbR`CcRsPEts~`wu|dilftm1B_<ex7ye}?d9nnWHwmI^$d9z=dCC`SyEdMY3%9JICN3gdeCx>Q;B&s4L>RCYcQ#S0rKP&C
%*|xl8UGlyf|8<V{gJpGN{yS~y4$4-drlw1(y_h=qxGd`&ZnX@b#u<vf>iBq(J9}j!W6tLo|;_?S<qoszY#O-$ti@$lx!(%QIZir
PAtF*R%4t?D`VJ9!%;+iJRmVJHtG^!krVE99E3_(BAz*19e!F30Mf4PDdMMY9UR7qy%ik72Z(aGs`@~P8OCoIFTzZlQ9?`2R}~`+
9;G+sp013G_KsGMxnq2c`|=XP4h_*^+pibct*fu8osiV~ClFd7W@FDthK0ds;WPt&Ji#*4qam&+|1_mq6(=4B=J7+pBoT@B>^@#y
pR=9I<6uoH7bXm1w^@QIm$y2FH&Nl(Sbh^tsjVrM>f#i$!P-#j^;=T*<OS}+h30VBsZD+!6)o*`@w~S9?i<d>IG&@&g_=^l23$#%
6=o7SaPFeiY&hBnH~-(pT7a)UC7g(x+QeV2&6?fUo8Pv<byyPLkjR_HI*rwrpO@Sa5|<PeXW1;P{>I4-EsseREo#BiZEi66S5a83
JjND7#;?r0$F$tH@@~0SODrL9P*$ZOanbDs_%|%tLD7zdVdjEO-(!L7D=hatt4ihs4IA~NVRzQ!H%Wd32G1-8rD2rB**y(OwQQOJ
S5x{K3(d+}(>0q)tq7-q3*`m?58-B05x;Qy4>KI@9k=tYQIh1%;=r`jN@n}<YFR}Su_7!>4U=OUtyr0R#(9`UqoK}M&&f(K=hKp8
;4hy-Qg~Wj!+IgoXLB+EW(_Pg8CYwZB0kxqnv@{Utp+!%rU^-|JjS`>dMECkR_^1S0&PEjG%r^yoY7d|lCbGuy2D>Z_^Ssl0*%UD
D)4t^PFVRjt|&FdN(#FzRFnO~LQ?yS(sj=KKp4np<fAJ!X~zG9vq`2u>CiN4xs~ar2*r=yq||WFpIQ6%|332G<pxq?rbY77c~D!P
0GIMiDyamIA1e%Oor)*F8@`JK4C(pJFO3m;0ZQ@Fib(@<u0J(zB<GzEsA{h1H3rFO^o3`DEd*z?u;AR+sie$BSE>L>sV>$!*;7w=
FqQEOAA67ly{0>|GDcZf=^MT=(x<@W-W_hDs(x?QH3`|=mZgzixZPsc#jAw*lBp??S%V)glE*La-8Rx_gq^+-e2#%uk(3aC46kMy
N+fOwrx3Q^mt|rp2q&U>$j6HQg5!rsmp+h~1|O=<n2C*A%~JRqJpg@KInSoj%V8a38DO~%?0X>CQu=|kQR<RBsD&sMDz#fmsHsr9
M`1b^O=n6h3wwl0OA(js-4q)}al^BrM_k0<tCbIo1u08S%Y)2%N-N02+!EWKM%Qsdnli&o*qBaij`8PSOmnt$Rm(4l)A!&f%@<&{
%7&>%b#=iKu5|1S?kpYvU>;8fikT<<RM@oWHu-t)ULi9(8HtF6%WhZF%{fpC1BNyi&oaOHlnKu7w1SNU#^Rd<lk~MYS%ix7WQSaA
?pChwGLyC7=rtr_60(xMT6%y92D_J6JEMX&^J}9RyToG0EjQ*h99Q_)fO9@sp07rMy!YQRNO=8(jbKx;W03BF-@7@oBrEfAW6sJO
+4n_ctuxoiLN7vMoG4Y_V;8@x8^4M|Mhv=Y@>wWSgzI>*(bMc9)(EkSwWc%-y6$oztR)j*H;R1mvv3Ms!N%uMXk?I?=AJAfqB4FM
J5klr!_I2)u{Z*p-GrUge<PJli8`;23A0KfV}R|^q}-)Y*nAoDQTiv<$B0ol+j7+8;*!le>SyABqs4}KGvD7aPN`@LNYmsT8&&b~
fjHov*2O&n<)t}dRw~2s!JMjjSt*4%mf6|7$m35@pA0PficQJ*mA2>9SH74@sc}$roH<_6UHkYY{iS=eGJVo?)XtiYlaMM0l2@F#
!_k6|To_~VUJp7&=`h#SDomm4sO*=gqOPOv3@0>YmD@W$I(}9B#rlWMDsV*i#6KC>jm5~-J%j&pMjEK#5l_Rb1~szhh(b-&G&p?O
I6Tu~DI{CSQSj0wWS9>R8oF0R<w&;!b|iPIh@<~!+G~+EaD^flv)d^Euf5|lzKZ07RG~C|`W>k7^uertQ;v*7Lu}}#_^00H|5(1O
$u<MtwIb;=h%lHNh+(OkEVuTi>&SJaH!oBqiCH9yK!8Q`d?A>jG9nw-5~EQ-d=70+RQBj8yE?E)$FxMriY&8?56>KXEz#JHGmJ=O
5!mP8BO0!Uh8a}N&>X44CUn_1lC{ya!O3utG#*XUO)#Oov*UsSC)nbl#^H+J)+VHp8~(^Pw+;A(n@=4kh9mPaMXJ!RVx5jv49yX1
z~=kuu6d#?kWjsbQ)BKno}zQs%ffWQAJ+F422FSN)Sg3TT$I-)EF9cg-QBW%mfECV7@FMd!6D(a6`e>pv->q*8h^A|o-C6(_{TY{
ZtE~<*5$|m{D08l1$FDSKQ)NDfV>jWLQ_Yjuy9t%rLjSk@?P)M-HGLzFj)XRi)`zxGL##>D=Sl+=e^dUgsl;%aCmUsr+Xr806vXk
92`rYJI0wj+-H=reCWlQQyo?I+iH5F35eo^NN_{!I)+~J9;KdM8V04X=RVCm0^3&1SXOb#1(VoouxMsejS7AH%tOnh2b)(R!UK8B
O3bx)-##d-m&Z+&ochIaex`#))~ihDM2i=D%3o%}uE=vlNE$H2jKxB7@D*NWW!{3iyjck;S6~sFWpgawsuo!~pS2H7+G~UyfytIJ
7*|d$3=O9%acea5QOajo9%h!JUQ<%|KzbOQ_5BPjBTZHC`znv_Z5;>fn6M)=a>}GIx0`+qsOPO5=e2KkiXX#yRtsL!;L{2N6fIVk
v<oZr3!TR-qLLC$mPP4UsL_Z=m}zz{EE)Jaj@_8ETs~=`BeV8b_wMMTtqMI4(C|5%?=_8;Iv^xy+&MQUxSrf%*4es!BpsDBHL{yP
o?<aJs!<^@`{k*z$aYi5KH*?(y4K^#GJT!Na3;99yr2fI2HQtN%Vgx<4c_e|1y|~R`)`(7bh}#`DRqB|7oqlvAkmqVh#nFE2WB}k
!KQ{I;lJ~bm+peqj`1*bbiGF5=H8F<(~H#FanQhQn2=X4jCtxf8y!i<Vv8p=nTYFoG^oJdlykscsTy4r%EohelQZ>aVUJ*iBqa%w
IR{)VzbdoJs=JK~WSc@J8FH)(;urQM9sMey0nNe2%WnGx^c?l&5m}vk&IDuyO*%*TT|kj(B8dukCBlZAKJl3!bEbT)1a<uwzE!>^
S?;a@no%kYv1%)`{hSktE$2V;nL2uR{MSa4Kz|)4p*2k>;IUTk4Ph|vS)MvJSG!=rnbXp|30lWj5hz<~RoU5%n4MM@{XQ{*uuN5D
Lh^)0ZB|D6nzKFy`!!`<2rB4iMG&WPxFOab2om$~MT&qc|AO@!rXpumnu)CO8~Nf4aos*$DDz0Yc;LSJu=7%i=*4Twgs&t%tr|i}
c4k?QODPNbGSn~Gr&5F8G=Tldr$M;*ZK5B8G9_^Bs;;pmh}8RLF-LldS@$C=PUk@|d)=JuY}h^0Pu)t@GQ<v94%dG#b+}&78eEfX
-$hH+_*^QQy#!~YSQ<^PmhDv-76ay?k+_<~8%3B@)shY7tH{axzpU^BHJ7V(QEfRZBgjF8tPg>qo9P0ZIuxmkY>80%_)9|}%OA}>
p&#AnInF9JGc}%Tg*Gjrb2ppD9maB80_9ezC>j&OVtx>|urFdB?ImRkO|Uaf?4YtROxY#tyHUiCbyBB+VM5~?sUr3@XAJ>OZsk{u
-HV&)sc{j<U?WE(JeOx$lLy@#37io%l11jhPtI&}!YYZyJ2*2PhS8Yh>~MBRG0IHt>cs@l<XMTZ##i!%=^o?g4l&Of%#uVe-lvg8
n9s;knR|OPJ;Fn(R`>jIDtwcq*XCJg<~VV9RS~k{{BFz1d)t#m>_lK_%azkS24%1T7n9>qp~ke4Vk?@WSd_Alx6;C<P3>}T9y~F0
mMEk09rNVARQ>WbDH@KR!+c4lTee@xU#2FdC`1S9d)RV!*BU%1rB+=70u-9LYiLdrj2b)?Ii-oS8H_pRt~RW_HvmhT@-_A$p65Jm
A_1nJ7-hW%6N@K2XX6u?#^ns6(S7PMzb1!$)J5F4sHT69`;b67d1t#Tt0_5zeUEMp25zffnr<2UhN!C*2;Tk9g^LLFMEhk>_kZd-
)AY8HWQ%U8go)yEKma6RVloCw)aqZH8<`+fUGGQvbGL1ZNMuIFa0gmeA$cqpAeY%X(w=Ets33YB1&ICp)4XA?0wQ#)-4R25oX&<9
_IDdwEs3UXKiSy23g*f{$|sV6OTp=MF~;|fwiIwu;s@cyqF&Upc5NJK`tKGtcH?;8(4yeL&Smn@6R@hZeT$c*j}={e4i;Ar5|0P$
G+`ysMYQMp08Pvt8oLG1m^%QS!k|joK(&U}aXuA6TZTDVV0Vw~E=y?~Pc|>3G?Z5wSC)D=40S_(V|x(RGI$++6RlD)AqcJ=|0|Rs
*b74Bp?r}XRMSr@hL#r+zI=|OfF|@#Xa67olQb#5Wo;nr%s?MDC}v~$SEhe9GCroDUE3ETkY_Xkd&k$1;I$fB*Xo$&TaPN1rRiNp
zt+z7Hp!P8SMIjX=i;~7QYg-8*l50eUIc^B&~TBN&Ds7Vyh$+3-o+*4(x++fa)rLD*DmGffAr;4(d6@U2fT;AhB^YZ6aCNjqv$JU
Z|%z{l+LDu1|p%Vp5=T=Vn|;hp9GSP0`JKC&g$P$s#=QJ##r!ni3;W+&*qoe5?bfY*J+84ey<dVS~-vSk;ok&^N^0El`u>=i=c9!
3%w*UG&@CedBXXI3e`ST87&3fAkPo>jH3i3^dpxt+(p~*<aChe<Dxs}s)cyu-5^~yZV+XjKg~%bovhcjGb?>&lE^bFbVx_35fVv8
k+fERJXJ*oxKyT%8lc6ry*I0XmIur8DE{7XCE0NiXVC?4>jFr{r)z+PWjx<>9H>l=aq~1%)npd&dm3L3s<L<F*5u78v>`V6hQCK1
#rjt207>CasyzOZKZ-S989ZH)J#zWk<+P73tO8p4^WfHimh+#7q3PZl8X5+_&MO;Yw}`^YO9~pF0%MQ|QPwi{Rqu5`8=EUeOMwrp
q+I8>qD!=9-$g0TDrD?CJON9#7o?wdm3hmN{_ORjz&D=<J#L<HWs;%JlgLUIHm}k}YNhvSZ~b-({%K)fV=uKFx~19!hZT*TdtA~&
o}wQ4Kqq69K8;;IAn9ArP{yk~Jj$Ep6m_{fG31s*G)y0BlobFe$vx7|pDeFNx`D$~+SVxRd<0jBTJc<P_r~|?Go~d-MC{Xr7@e}Y
!C4H)_t&T0qN1tDX6s#g{(>dA?uaVLPm1%!bC8n^iE{xT*3%}DO{*)<^D5zs#r3v)LQ`6j^w~NNgrBkgN61&&$2MP&<vQvN6uX!0
npY#uIWGWlpu;(^Qz#03uld5ss(-&63!mQZweqpJxn~$N0*Pac+(gJAJs22%k(uDu(ufNr-DP`fJ0GObwKUBxWjZu2L<r(X8PJd2
w^LaIu(Gc-CcprC5@(8`!cK7~Ki2hgw#pJ2VU+M=wHRzeSsg%PcAe3Eq^&hhH%k@(W1|wrAWf2m$~2I-1l(F3t{ulL=W-li0fQAE
Cg(f%dQ6&2H#&J*ox(AlSK4;#2<!{h!((P@NjA+#v0eqhYo+<!?~dpXU_mM`kHX6CF~g5s-D7BX%X%wqxTe{|Gh$e46op8tteHF6
G6g|#ehHJD@Hj!GQFzE*g$zyZj<z91&k{`96vel4SYrvr=}8tB>y3UxFToH%i-9##A<WDD`EmW?C73Vt!gSpzfaqz<eA5#A;bw)v
^0!N1A)q?g)|&m;EtcNL;p69@zaJ$nzmLW~WBX{6!Rp+Paru~(_%-5Nf)04eonDY%q+m(#pq*2NRCo9=ZEk12*~JE&53|2%%gq&R
wVPdE2~^vRoHvmIPao7)uCK!XPSmo5^B@In3Yb}H=ktjY_FO#{PcMGbr41%05{%L~AA&K4M2!DR+<N(O^gfyGs6+emyt!EgX(%n|
P!`ZF3x&Y|Od2u|JIn9SR)qN=^Q<|$<^YSHAQ;$Zl&r|S&)Fl`XbCz3T{Qavyq2nD5ST~3>mVVImfe~UH=qmu%rfV@v}k&3!s0^^
f%&LnmOfv-b+bBhSNhwX1!k_u$h#=J&{NL+)|ci@_MKd1s{E7xlql2KZR6b0w)R%8^U!C@H}@9xkX^>FjBZINIA7`h#Wi{LvKR2j
VR_Mxh&#e>6fo}LMC!=f@v`*xM_i&pytUs9ggA3>7rC(qP8-X*ngoS4(~`KfgdH)-W5NntY5gOoacOXiS{p~p@^9g62Lqv75xSL@
)i?x}Y6%})8G4LT68)&7R5eFFq-imnG&}l|J1dyUb5*bp-)4H6xU1+165+*dugvM4$&T!mUazTKvy|9d+Qea#ELG@u=RZYxsz*y;
cDqZz_q(ymkpz@8svE;O#hChiw#6Ivf@GJJa~U&u>n@%qR>r856S|dDUAMOLx@FB)XR~(iPvB)-&{=5lTXjXDH+lsr#aA?EeM{pk
%H2{6X>f&S45hI}xa6$Rv#F)M4-UnfYU8OAtTc$8yIU(c&<NcR)wx=0ar*J&tMp9C7_IhRzCe8;C)A<-f7Ch$W>J**UPjv4Ul#X_
pvtW5UZ!%E?%o-FuXB*6tM|fHsGuz<gXZ%h0i)QC0N0h5@3u&Zmv8$kl?YQAiwwh!df+6PBwPMTgvhzsOW!=`NjVy+7_H35>AeWN
5x-2==yaT2wZnpRrWI5^BgSA`88~d+w3Vcz_w*$?v0BA<Ce@<Tf8IPTOy}||ia72q)ELE3D^Nja@uj)?jL;WpL4?urlv!;Duz<x7
1-Z(zJvuz8+4I5L9}v(&<`%Ke(0m1--sV4&vnBs7T2Yg?Z#%EOqXH0@+1-sYt0T#w8DON_t#OIdI?U=Wg~U{|MNIAeU`u64z$$;w
o;h=HY11_GK}Pr6s!=;?#c-mu9UXug7%qFCX+D*;)kN<?`SZtqZB*dA90}tpVN2+zSt1*_;{P@iiABx%mE4hVv>0=a-Nn*!QoFY$
`r?57KD*@T(YZamRipHW^#<N{+2O#b7u|Kb&ZfB$i-}Rtzf~GFk^^A4J@F<-kujAn-Dl%`orv=Z-e+e9vi6@v$CJ0)Y|Y9;XImV!
@=(S&qD~=1{fX`s>_AS8q~CGXvIKP?GRS0dGRZv-*(Yc>pHTn&yMd$92UqWd$Y$OJcq#oezqEMk_0jzj%UP>F-|^EPl95HA4GMC(
zi7Js^)Kmyyp?+)`YAM%1;XmIFK4$&Axu7%h58PRf~`|0r%k&cJVi{aaR9K?5aC?J<E<B*|72|t%}kq{#qTd&RTh}g)=0<a5u=!W
v9X<SvIK4R;2k~ft`^eBv?BzU*zW55up)EjqP4s=?gNp4HFVM+b9~oqwsKALP`GNXOO>p9bx$C#{+DfP%h|Yq+`$FVg_B=tUxIm?
!w>uA-rVk*J#r7e=ZiFTe+PUem;UQJ`fJqa$w(9n42M+OfNQ#4I>xU<=+VT9O!C(@kUHaUsZF#x|Kph`e*|yC?G^`d<{1rR{wOg1
8JeF#bu}J#i&D0<E@1t%CHYqu&sG&+xr=E+mzf$*jD%B@17EAi8X9Y%>UN@hEKj<;4IMJX0K$3LM;deX;~7ubf@2qZvf;Xqm%UD>
#VKA7ywZw+kR^TaX{&cH^}4x(0%zsvfQ#`IBu+8>9@W$PR2BA~i-WJz2e2$r_2t~UF#-3WK1+HP%Uas{+OIAp5-$wNPkU___yzg8
xeBooi+nEsl~K({9RnKRhdxfw1kJ~>&n3p|6)6VS7Uk_*Bj@`*F1;dRW(f}nx;dz43c1^<i<cjqWbAzeO=sOZph}c4wF7D;CD2&=
G<T+5gO2z>*U?q&kWFn$=XNmhe~N7#_Y)%*+c5<V6X{IimN_5b!>)gs=_-QQC<vCV7>M(J5*?uIj$bwk%h(RMfrfLAqwML`=kdgZ
m#2Ok$j;{LKfKpHT$5&6#C!T(oQ?=sX5AVG0mz|h=gm>HQr<HAw?|?Dgqyb#?QZ&p{F`(i%5gDyqokjOrbtGshF`rH0+uyE*+?()
I;7;9t1@-_5&KGl#?p>X$KAEW*>2SO5E7eH;3UI&!*j{99!upVL1T#o#tq2(@Rzhp9X}JGrFHOQ5IW8Mn{IEFlthNI6h3j_hM>(N
y^JNu?!>ChHlPZ85x>L|=v-=%2MMMm$i&sjEg4+LMs_#YfXHV_EaB9(V-|`V+1-dI$}_L}iOkAn9B4mhS$7n{8|s(6BqJ#SzVyeQ
f0IPYCPcupJGZ|TbR-nxN*#G6LEb7E>SVm`nvUa?KG@G#r^)U5sGUR|vN%CK6P3WLJ;o;M|0E*_k*sJ|)nyN>%Nd-h*geOYTE0!e
9WA2SymM3Bf@3&Umf%(qj-=^XCDYKqQkE$lZTqoGBGqp5WN!PQGINQ*i+s5QoYRs?+wu~PK7N^IstXX6ZDf==x+EIoE!!ES3cNuS
Hhj!H_}L9>4C0IHjG7Q$`XqcuGGm_cyXypcVem<~8c^w7F;d{zU9xo9_49z%ttfW6v(4^|D$6Pw0G~T*S;YxvNIWpWZ0J{4q+P_M
+w3emnooiNmeT*AHG6Y$7`aRV``lZA8neo|W0AB>@~4cnsLVy$WCb_owkjh_f(tFaIvMRG3o>#PrM5vopTxVAzqXyD8pH9YS{8F2
eJk`WEb4-n3Jzi+Q(HDTDw6BWqops8Bf@dFNHGTlDi=PVFL9|=X!O~YF_8J7m1y7f;fPV%jxOP_*pW^acckf<&ans3Q(MrGj*`Yj
%TM)Qn`I{Rp6}t=<=CB}v`4&27WUS>`${gD-pc;v`AWVdxK{=kutNf`S7dEck$Yn99dx>)v)CjUDE@r%3%&kAv!KI?Tc~DXE~*|H
NLMX5%(`$>r%wnZh_a2JZw^q!2ds%)$%wbCRk+i7KwmUUgz|5H#_4YLvZVuU$zG9ssMMpaq~ZYY@X!HdkU#yG;DED0_@bq((rQ0f
Zi5OV4TjP(&NQK$nXynHHQKQnCmE1W{zw|6it2G#9SqQ;_qub!doT@7&vv`PApM494^@Sg82dntTepATx_gRl*()BoD3pxKZN7p^
qAd!DtHaP|DVQANdD|72@<7SjF8W@lSF&~X*Y&s5@p`y|jC|{c^okqZvHPx|AR`FyVAbA7k11iQDQ_r;_n-ET+UZwvDQ{(KcNNl_
<!o<jgK#(o=|kvMb0Y~#{qJDk;S3Lvq0z6Bk8<bwCoV8RQ&#FkZ^IsXq`+2Ma;Bs?2nu9dxIzz#h<$83hKB>+)`#)2E3WXxZo9)v
DkVEAB+J)JxN$)F8G^Za?<}rNP^i(R4qkl4y*N-^-OX0v%f5u|u#5AJ>JeFvs#1VZci=FrIK4?}>Z}#`wrssf7Tj2O0k!w18j-S-
dm@AKY$$;u05Qhy%ZkQ}rCj!HC6r(rs6rrG1EAbq$VLZ;GYx_l%>t>+ly1AAhG%eDbL5)DK!OifsKB~+uiH)EIbu)AIqB6Q#w3Ea
ijkPFw)LpScyvgC8Dc37kTisdOQPJ#RVfamXUgM70nnb1kEB9B*=?ti4YFt>I|K)^tgX}Hgu!oD4f+RJ%mV$AsL_#Ls(MXx@@wWK
JISMji^Q(2aX<o&>ev#EGPO7IbVT$qnaHcd_!HHz+OBh_Vl{{xEHEL`h;bTOn>N@Tr({p3-};*RccEW~Qv4htj@v|ih#GnN1vwJ%
I9t(iny5irgs^yWFQh5q4G0g=B-dOM4rKclm&fsIK7YWY?*S*Rkv-?!ToHdJ^K9b0FJ%fjlzjx$ra;nv69fbXec_t;@S&f#gAfGB
$FB?mhT!JeGy+qOLkD~v^S1+AKw|p8e$W7SEzQoa7K<v+D3{nUE~&FR=!w`)7CF1K*9qTD0w38^B1Z_Q-J2QgVaour>0%hWzKwUu
NSlD=3}1eVk{Hu&A3VFjvaPCn*T1!w0~z_@)2&EdaYg3IK4HH?35M=&pRGaq7tq-WaYc*ntHkzBu3fg~Ol$Hx(tIj1R@A0cqSlTZ
84ljTTAaMITd+Es6umVli|BugK!sf4?Eh7DYB$YfH+}waa_-GC*JQh1J4V()POI$%_zc3PP4bcm)1`9^uXuO}UMd-s*-?oCDQ*Rh
1Cm8H?X2!WeiPKym=;rh-ED_VGnxAcB~!yK(pkT3h4b#qY($gUk$QVCH=wa};RP5p*=l({xF|^#)~fSe%}$}-u{-X@-VEin?L2Lu
Sz|lyK5i-|EO<gJK{Joh;LFF;h{Je$*R6~Yr|XqHbYY~$3p}j_CKntdIhEL@M~3qX&EW&a5=Inl8x@!Kp9Qi(vU!r26B=%Px$EfG
k#|mTWcQ1~C&`6HE%|CnkK_(RN-rf`9qt#5_NbIBrPJE<^yt_dAggszk$5mL9aU&34UI;BE|y@C#<FsP!Y&>&UU&cVhXn|fOFVgU
MdgI}vf@VqcxGCIrL~2i;BXEwq9$((`+{y~vFcdL;55S#7OQMOP5XK5<+0q+hEq^Pq6Y-MShu9ABO)o50E7I#5V#<b=&*Yy%%REt
q3LpvQnUxCQ&)04d*C63O<eat*3xsRFkdb-A~Eb~wS=gx4rA4a494dG^Z#;eIc~Bt;IuNKC%FyZAPh+|mv6oy)<;!HBzy&7_uq=L
<TjMQG|DYi=qIV|$?4CYmE|Ce5VvrWkpZs@*+sQ)y&Kys-CMgkfe*6>=m!E6BVm1yAXX{fe~Ypt>y%j3kl2*#*Na5=XcYabd%3<}
nnikqb?v>o$vD$^3*3ptX22Qt7r{`B{Nyj&WYECZD}L^h?A>*nryVUz`8p%jG*i4*jgQeaqp}V5srjYQOl&~MEm%5Ijlig@T-@tN
R@U|G)YWV4(|AG3$DYcT!!u(YdSR}jygiqFXkUKI<XJkh=;R>tuqvdK*&LFoMzmS|^+9H>>&Yt9I+xMAOQ&Y?azT&1lT2V!P@Zlw
h*3w)V>`)d5GnUU_5xq8E?*ft%U*7_-rau)GR2o&989mQI&PK#5~n96Mu5`8O7lS3E3n@NLbyIb$}SRxK8r-;oy@T(!<?mp3w2hU
z|dJ_KavlsgR>^9M5tg3+$rCdUoDw+W^+!WpX>l*g3<qqeDHe+J?&hqG;Erpy$xq&H7$40lz5DkoSheHMbL*=FYb1?7~aZp-p)rR
dg%~i$DX%8-rfO4;Bp6;j-|3+Z{EgxzeXwfObSNsn^vFI?fzw*_V!IXx#UmY$jn1Du!C6;`SYhkZFZmyd?Xk7gh+F8(KYF{&FE2%
#nvm%@AH-OQ^85`G>dD^mGwT_dJQ3NQHt9lSlvy1<GQ6NL<u)bGFOW}hqFRK&hhZF*aHPE0&o;vR`dQLZpM&|j!)|pN?2!Sb@!#*
%BfhW{fD|m8i0T1laClo0M>K?J{vMgC>F&e3#{U6r1djMIC1>V6qRzKF3(MxlGp6<%3wH!YTe)G_2n+qZ|;iShGGj+Hhd|5Wl=JK
ay?{<r+b6KotiAy@w))VD*F3XG^KPy<%OSy)#FPS;a{G%tL{w?jHQuT#+F(Xnn$6UJVU4Tb<Z^D|B1u@w5<ge=yF8W(1fazCo%x#
aCKh_jFGT6LIB{BT|#7SMXWi!YaIG>#|*VbSsmo<b>G4Ps<UJ__jkzR6i5~q%~51N3nJWlF`lh2%DC-144zcl7(L^SDQ=QVmaLt{
redz8N^HrT3#^kLU$2((=3<E1PxvXlCC4tR?#D~iO$0+1`4@#JpbcEw6M^5%q3Rw~?oo>>(z}pGs2kUp1CSGC9$$|6SXK$hMH4ya
Z)H;ML!lHE*tH3=(%Vqofo;6oyG#|JX-GcYa(}`_Z8<y&n)b6^_8eV|f%mM3KR#tTIO(0RZ-)z=TdU^Y849tpveY!>2l+dAjfG&U
a8vBIbF-L%9GR+e8PyH5oT@qoEQ<%%?3z1Dt0y!=J9U-oqa`0=J`yCKd{cW$<Qxy5*`OH3rD2yl_k;&g+ZO#>@P)~VG`nq`<Q;_s
RQ@Z2v)glpCOy}R95=s9u69P`zElz~)f`l3`xP2;s-G;xbX_1WLHgtbbGARP<BS%BPvdro2(E-DA2-|XgnOWmwB2+&1$5SDV1?Sv
3EWJ1y~V-GvX}czg)|ON60v$?RACoEf2cwT_%!uMA%^_6-ai{yHT9Y6hGDrKpc#$a#n&+S8`~E+b_lQP?6*J~8lc%2;8;r1-~neF
YKgsSFmE!|z0x*x$@VEgHl`R&ZNGLFaGOO5s-tf(`LPYvPx*u(-=hhGewN2}3CxI&z?4p-B&)KOgmQdX#U&s1aLgurH*IIF>PU)B
K-2#QxMnXrv6I>eP*P=6BCH0A(1q}RvVbvEMDjfbb;!eDHl_GQ`$oY}-CZWqx%O@VS-yveLebfWFvTjAD>e@5ebK463s%bV1&PO+
*6o}>Ej5g2^$m@dd9;`MM)d<pLf8l2a{4S57_0zgRaIsVTRw~JC}e~~A+#2enLXB9hloFd`88g~4Q4E*sK8k_f>LOh0*km~IoKe_
jT%MFO-zs_tLFA}iJhuI+d02^JDM2ef47r*ML-Kh$Uy};Xx28%=|_HHtET!`a04Xp(Drmp{o5}*e6Vxwwf--w9(!)hRZ>-m>}Df#
-MMtps=R43w1&4izZ5D}7)ezmWIM4$tP<PnTy=b-9Xa5<9cOh66*r)rjFF;0ClWr61|%BYSW14UP-k=6#@)OD%!D>VXm*nk99iSC
e7nbklOvnuKcHu1JfJmIGNd6DJ%B#B^}=0bd3f@t@dW=$Rm`-$D-jhTA@5;Ew_10OL-FRwt$|?bj(_OaBDZY&vysHJo5R@Nmbytb
Q(@bdzOxeuvMs|=TjgAPI=>c@#meu^JWBd?Sn*=AcrebSl4uQD*?Vr*MM|lXP!$)>cYa71op#}%Tf4juwy*PR_kJa>bv?0z5-=Fu
1Mtxid;q_gB)As-uG%n{YBE%il3zs=p}p4t9NO8|w!m~r#l{M1r8FHmIEy<Q%jdcMZNDv0W|t4@9oE@+qg@OED13q8woq)2ToKT_
IvLvM0RYxMi=!8>OJXf4`iKFc0x~7Nw=7Z>aG}Ds6pMsxU?c?(Y8N>;mHR&nJ1tp1o?>1PWQ}l|HF3hm>~?E}ZXdtm)U2QW)!(ps
3{f5Nj~%J(>H8~frkKauJ}9lici;>Oy6WTADr#ZeEtLp)ggkiBq>SkRy@ffQyZ^o3M}+z9<*7ZJ4VK;B#82pCkfM=Wby~n_B3WS-
CORM|nx^Gy_Zf6E0uK&(G_r2vZDWqrDmv75pF-COwNlWOfbHYv9n$S-=38MWeR%btGHjnrORGixrcSgC0Fka{VwlX^#9On#mRdO<
x>{=-{1w&O6}8MzK7NwwC*kh+XB9f%l59q#b@Oe<*tz%YIj}XSF-mS=#g>j^(A(~gKCMBfLRzIA`U*mc_z2$0s%?;rgm@!`ORNCI
gj~*;KYFDEom>GcqWaA8Z>=84+b_b*a37)Qpbs3l-@SNlYj&gbq9C`lSi`W)Rg3WL%FBSd2XDYnd=tOPoUVLM+LV0KdVu0sg3j;^
waowuSPywQ$bwZ8ieBxDq&y_wF1zVsoBq?XFufXk?U5JVYx%t)Rk}<cRdPutc}%)@$Bs?@bY&Ezl1j-_Nv`w3<Unod-G(S$7t=_?
L>=j2Cp<gr9?m@~OK)bBT<E!5r1IE!cUd_i(zkM9$D1@kt<_%JAn^lxI;z;pHg~@bksFa+=@Or02~YOE&ace92u2V$m2IOYd$v(3
FEBJ5FXKVDkQmd6aDA3P%;MN@O;Pmlx%iFT(RF$1PA(_xJ%R%cmjj2YbkP2<oQE?@+d~v*DJI+`nTi4I5+!ulrO2Qa0mGgPTXxUn
YvOv%@O?t#MD)MkUfyE+xw5q6Mao?A#tc<f)bF)B?Ykf}Pii6nA9t1*wV#?Hs%PigvH4|N)rO(kLVHu+OF+u~Ql8!7h)=V8oTyTE
G+MZ%Xn)fclYWdCBWz8dIyYrdfGxfQ(^i#+xQgJdbScPkV%5y6wf(m&-i&?(=KW_E7)aimB}@-voB+|Q;tp$=inX)%ve&&gZ0{2F
J(<RjlprPA^maIVSe8}D)1)kcu)8d*ra}TXN--n}1N@@AGL^BC+Ugz_JBRw|f{SAz=^^`oa+M<L!YK0<IZ$2(HdoEbZg<t|TqwUf
T&~LH7lD-rV6m(~g;;~>-niZF5Uv;8N^X{Y%b;eFw20l(T=wO`wtbbMcm&gH{yJh=dAD6d{qU9I7u9udDS>AbBCQo+z4}Ff$us-0
b}Ou>X^RkPeO*{Dn|)29kvz7ojzm|J?EL~GgxRyV>a&MEg4KzTC}%60@sm}|d;{P}IUm?5=mxIsavtSWN|!Me1ONzH!X+-(zi^3b
V43`>5864Jh}XedOxkeWT4vW7MKN_(B!5GGy{)I9!H=1CzLx!jyZn@`>a^ms^CL4rr#<-%Al;993Dptd59xOjQw{-Mu4?v^G%#2e
IvN}bi;!|8a>R=ZR1Csj<m1Pmr1{g#ACH9ma{fRaySI<-q%&PE-iXQZYAmY?9iqGZC)7KX%e!k&HUeK<H=?PWHU)iDcK~V}E|kJe
&6?y$*upsi;!D`tZ6!f+4(b|QeWR7qUsBALGLafIn0YCUmc4?cCYf6Zr#Pd*_h?-J8WSjqY6o%BD8M@HJhey+eX2+lvu;cS@uI95
VB0U!HF3hvBJF7jEx8M@s~yk530NJ?i1RI0Azqm0_D=Ik8wrBs+-K*5f`Zop989Mx>a_kD0Sd;^N51spYY%0lyaqslsE!V+RSS2?
Lf1ESdt{v1CK>Ap#5HJWwtP%>)pZ|#le(8=$R#WP6jsuVR{dMjVX<7wLvK9P<Cn3j>$2oh=}^nfs*v;YMhWB*L*mUfb)xJdc!UC=
E@I~YZURR)(O<d>@rN~T((Pq?AP%V2UujhMcPp64<Plsq;KPd}tNW{|x}lb`RAhD<!6%Kq{=e7;6v;vO3%pi-llQIYZT4#H);cib
z2763*W=yzCb}1!4Eg%dJrK)w{apQL2s~EKk~x4lBe;7R=%9fibdFz0U*@zlzlw$>Q`a*O_8qI8g;IA42$mc(hwg~n?%s7AUCu=c
Jn2gZx3rfCjSGzs1U)DLUjcI9l1F=6^_5<>){!N2a|TT|1rLzIM>KmHvVYGf0N^gJ)Fi23eI+SImNPrB6C`89>tj_v8$34kkIw#;
+2=t`%*qyxs&3RhR_^bE-hlQ52tF!}waR_#^XZ;G+p_2=vSaPURZSmYoYbsra3PX{NF`{~k6ker?2AxUyN`GP+&=9ZbIKEHo#^PS
G~H(Tj@tRwKvZbie!_rh2n;4}A;r;V@6ZM@`t>etANNgWpdgL%i`55MU0OX>_IPRISh+a0+hM%b)=BNcrPQj2M3G0it<XhL`3C9}
;IX(4!Wl#q>CNMVoZ5kAbuJZr5pG%trp{?5w(#f!^rKZFz&s^B77@Mqwz}J*Wc@~(8sedKF6p*3uqM!s7nQ{mD9cW=(JJMOG;PaY
z?xqu7t5NEC9@O=pM(Sg+bwobGK3VD!(T?FhhE|M@oh!-8f-bc$B2`-SP*T=X0#-T8&wLQf-+RWa8;mMmv0rcY#3e+Q~&t+XR{J=
UJ;+46B+!#U$Qb{8`jMVnrk~-CUP(51n+uOnd-!zd_qC}15L4)EGFv2(phx&R~b1}^4lnTyT-XZT2(!ES;*qp(j{AGru#UYVv{9B
aw0Xe9{Lu7WL&Qe3|G6eEWz&!_a(@dFJY+UxhV(=qHc_2(x+uc$}gB6=o2*6zKDvbKj_-#Bz9YB3npP)*_+I3QMN;r)N(;|+XrmB
RNe#W*k2X5*mQ!$(0VWE5y1@1UEGO-A6m4n6M8u9`O{f5P)VG_CgMt+RXBaw<<XQr#p9D&ml+09l~+{N43;n`WdYB<{^o5|kYE;7
*5?hc7uHkr1TRKVgW7|(-MFRgF_9<prKl{wmVSOMv816s*W%{!>+3A{uX;IQO>B$uXwHK^<EsRV_9~ikKB+<1)shYLwX`eAj;nak
mAt2T6iaU}_8SWpTcg&`YC(m_(Ty())=EVFQlzv`#`Q!cTdDMW(n~+vKLoVUYJOnh+sdcxInMrG+rfFVcK*8hKn28cbJga_*NuMl
d2KojiJRn}mJ<evWoL0IXQY%?7DFwDSn5f3PeXiF4VH?JZ+EC`7Q9jhOL)cf<qb7K$c=X75I#oj*}|>eDuBGWPMrZ>%=0#_0uZB=
m~DcZyRLu|8_jO%g#g4_f~sB<aaieh@&`JL)#_HqN*?-)Kq_V`gO<!br+qZOHd^k7Xr=bM>T$qRR}XKtu(_B8)j+v{%E7LCxN5uo
f3#LpDUr$C=WLZKZbr6O!IY~_D+Z>hAX5rshViaFdP9?@Lx78E>p1DYo9&}&Z38<Ql^>gIT>UgdVdUi{f1$>;vK20$jh?N#>)q9$
T!k^SD_j4#8gGLZ{3bM5*7=#ypDm*WQ?~2e@&kaYUhN8R2GP^{LO$ktUm1!<ZV!4xU*EQxzwm$n8K+6xYrBxPwin>ewkCA@)%?$<
Ny;gFuwH$uZzn4UDVA4vJ`H-DZ&RTDn-(13AARXe$K7)MbbBP5((Fx98Y`SOA_B>J<>uFRJ`uH-Bov!`Q`+fc>^TJKXvyxyJ~1Ur
*HwuW9ORaAJ&-~Y%_5T<!b7o5oZKxQ>Ic{%BGZ<r-=k@!q_g@}Gko7tk=E-qS+KEAW``hn&rf~J2DRhWXa9}W=yr2t!Ro>y34nK8
V3f@Z5`fm=#*7Pzd+D~?J{H7YV0Q_Dq!OHyN7n$t6yGL>P>Y>#`@(}p5zw1b?^tt#SXpy(5aujkSPk0H&t9iNl^cKJH*p=w%6nIB
U9cShBb7)a#eOJ@F(y*$sKGsSD16K<!e2Acg@Km1Y;o*4u0W^Sg@jqMV)MUrGKT-s%2<+qw1aLZ=DsGYt08tILT#PQ(Id@n>E{Pt
p)Ss6AGt<ERh4Nj=g=8v<Jz&`dNpy8s_&4D5&F4R1?%Pf1}MfBptK$GpM3sc5{R&cE!s=YK;pE}n(zSY5^c3ZcJ&;LH)nTPVh{x|
l2L{0h@w5TxN1r;R1?U3CZtMK=*XpqhAK6`<)BVe>-P?QTk=h6xq^||GPrl0yOvpA*^$uTK&)mg4rU@-7DDx+%+tv(gFfOKx#<+N
;y<OhyaFe3Epu>7zzHchlRxCI7U(MJ1O-ZmEx;-d4CJCB8;ms8vg}(UH=?%eA*c1KX$A@PbJ`t}wnTYj-jy2JDj5X%gAlwl!QHtA
%OjDairWVACpD*Q+XO*}U%pP%FR27GWJ<ldc<77rrKR{9L{%P6o!2K3;lE~^-&5Zz7huyjnj3;}WkzSIGwOuuZ+1JC=As^@Iv=i5
rY6CeN#`t&Bg%jhF))0}7I66BuMbDpB9!vA#kH0cO~fs+ltX4U7W5!#=<8WdNV9kM1{B`0VJJQ4LZ`_8$9A9qi8=J@wo-2;6CWbo
zJ=J`G37$=uoGZ_-UN-NTM{U-whEjb5zlC^FF}bd3r37?N#A5Qsik0xlfJAX>vk9S_$=A3vX6$B$5gjz<SeY=KG12~(DajUfJ6^x
rXVQZrD3j@%N7h?lVqEbkBTzLLHTEuGnS|jJ8?viE$MmDlV?GD9z=jh2zkpoH~8y{4s03!L+(Q)?B5m|EmgNb{6VX%yvP9cmAUbk
8<Uk?Qa?(S!j;E|TDD=J+mnYJq-DBTvK!?ASjo=YwFX}W@Ko3<Iw~Lv=-l@j8bo7NMzAN%N`q?7v<5(XyZY#0O%z`s9avTN?P6m`
+A26(8dhrX(Pe5J*0V@=8`2?slWi7}c2Fa!6_p}s?F6KMl5vCK#@)lcq#_op&_)U*wg+sR%|X(UoGvIk9zyz;+m_t+vemBFd(vXq
{Duw8azb+8EaB_n%IJE66%z9=?y|jr`%E|6RU2ta$Q)3PC-aImLV(alT@Bi3rEMS#)7}uUS>ww~Ba>SR^P;PhUh$dkf8n;*dpaDI
v8K$E9Y-k8;Xhf77Aeb*EQYtQNb}XloYqlrp4jp8Vk7gmqdJPW-%{yzykV3S!dI!@Dd$H%%_B2|;;wuy+EJiCp1Gs*`5yZTG$VA@
KbOENrM_K!aQApq8gq>+2O$A0cUTFUOb=2(R0SuFFy+kVo%gQh@Usb+?yBt5dTx=ZzT+N*fUd^76FtbAXjQA467oT<)7l$AH&>5i
URk4iruLKO81^$Y(X-=4AO3bfK$72?Kh{CDld?E#2wUM76vEI>I`miCWtT=-rf)X(NXwL6BUA5#64*NYQXfvZnCU~%0BAH=a&-YT
vu1jg)0B_=p1KdFaBdg8hDYjZ@+U$(Tm%LSNJ@GwZq(T_I(^C*6yjljq)Vi8moAUI0f#tw$ILdp#gR*Q2HK@f)F~JhxVKsX6Fy1`
5Dkq>hBfrCQY;Z}8W=beh&Bt#3Xf2v(>jT&Ks?ukz@%L(Hy3dKa`)jzql?a)fr*tKt;IfB`|zdPQl`<B+vRG7uafi2aMTpCS;kto
oxJBqbmybd<ZilJvP2T4n_aT}O}BGFZt%ZBk529b^*$}xr5QR~S$loX<b)iwQ|+a;A6i<hKIhYpXZa<YJ~vghQ}KndVGaG-Ma>3R
OTfHJ1o}4waHXDEk{{3Z;{}4;gIyeCSDl42@JEp=kUpIcIxrfclRpHB@Iqj#SLE#CXzhCQ7|n(`x<G-xQ+=2|dE5k(3@ySNdzYix
06tmZud60<7Eu}W$(3ByB?Jv7kK|+ebTi<54UX(iWy^865*F79=eR-cnuD7C3Z{S0fp)W7G$#AH!%czXY>yE*1>!#@Ump`UO+d-+
WV`jQW+H84jc%)Z>NcC+{7$f2!IgAzVqai0bi;dS!6C8FA2E@~=}cW&@a&D)K_6hpf6~{oeyktc3@;K_E;nd?pg52WoO`>qzU|hs
cx!3ECFv{W*vUnabFg@Dw_0hPK3d-Q#jerT;`&1qH>D2vW80sn1J>F@^8Ia_VTS$yJI9N{TVr2_p73jGJ~q29zwJWiYyAB4q6Vt$
6A}xhKzGrkx-rogCIzKLyR9wde-Ov->FnWhkrQa_>N0SX+ahPiLaT+bn;m_&^_x2M(S>jS(T9}Bz9`xc+w9Hi`GFtmEzGnQnO`x_
(m?!rViX-)-`RG-<y4QiAYuBkl}I@BuVk{vvJ;0-%j@;e4_KZ=grXbgL$)P45<H^4jEfwb`;w=#FLx8z+8*x8S+UILZYN;O8aWQE
PIFaIV|GbMvR{Wvz6rKp0c5~b;%v4TdqIC`!Tw<;+F49{WLD8!Aa5r_sQ}l6$TDIYjwZzRfzYl4!K5dJJ1u~)8O1unV7u78GuS5j
Ny`5N$~#}K
"""
