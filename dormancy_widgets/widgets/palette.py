"""One palette for every explorer: Okabe & Ito's colour-blind-safe colours, plus dash styles.

Okabe M, Ito K (2002) "Color Universal Design": eight colours distinguishable with every
common form of colour blindness. Meaning is never carried by colour alone: each series also
gets its own dash style, and figures have legends or direct labels.
"""

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

#: order in which series take colours (yellow last: weak contrast on white)
SERIES = (BLUE, VERMILLION, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, BLACK, YELLOW)
#: bqplot line styles paired with the series colours
DASHES = ("solid", "dashed", "dotted", "dash_dotted", "solid", "dashed", "dotted", "dash_dotted")

#: opacity of a kept ("ghost") run drawn for comparison
GHOST_OPACITY = 0.65

#: font sizes in px, chosen to read from the back of a lecture room on a projector
FONT_TICKS = "15px"
FONT_LABEL = "16px"
FONT_TITLE = "18px"
FONT_TEXT = "16px"

#: the series colours darkened (same hue) to at least 4.5:1 contrast on white, for text:
#: labels and legend entries in a series colour are written in these (WCAG 2 AA, text < 18 px)
TEXT = {
    BLACK: BLACK,
    ORANGE: "#9C6C00",
    SKY_BLUE: "#3A7A9E",
    BLUISH_GREEN: "#008460",
    YELLOW: "#7C7622",
    BLUE: BLUE,
    VERMILLION: "#BF5400",
    REDDISH_PURPLE: "#A15F83",
    GREY: "#757575",
}
#: body text and tick labels (14.7:1 on white); grid lines stay light so they never read as data
INK = "#222222"
GRID = "#DDDDDD"
FOCUS = "#0B5CAD"


def text_color(color: str) -> str:
    """The readable (≥ 4.5:1 on white) text colour for a series colour; dark grey if unknown."""
    return TEXT.get(str(color).upper(), TEXT.get(str(color), INK))
