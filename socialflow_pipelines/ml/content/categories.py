"""Categories: zero-shot classification in sentence-embedding space against a fixed taxonomy.

Each category is described by several short texts (what it covers, and example posts), because a
single label word ("music") is a poor anchor for a post's embedding. A post's evidence for a
category is its best cosine similarity to that category's descriptions. Scores are a softmax over
the categories plus a background class (`BACKGROUND`: personal chatter that fits no category), so
a post about nothing in particular puts its mass there instead of on a random category.

Calibration: the softmax scale is fitted, at construction, by leave-one-out over the
descriptions themselves (each one classified by the others, minimising the negative
log-likelihood of its true category). Scores then read as "probability this is the post's
category" under that model; categories below `min_score` are not reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from socialflow_pipelines.ml.content.embeddings import TextEmbedder

BACKGROUND = "general"

TAXONOMY: dict[str, tuple[str, ...]] = {
    "technology": (
        "technology, software, gadgets, smartphones, computers and the internet",
        "programming, apps, artificial intelligence and tech companies",
        "just upgraded my laptop and the new operating system update is great",
        "this new AI tool writes code for you",
        "new phone from Apple, Samsung or Google: camera, battery and specs",
    ),
    "education": (
        "education, school, university, studying, teachers and students",
        "learning a new skill, online courses, homework and exams",
        "finals week, studying all night for my chemistry exam",
        "our teacher explained fractions with a great classroom activity",
    ),
    "entertainment": (
        "movies, television series, celebrities and streaming shows",
        "film trailers, actors, box office and award shows",
        "binge-watched the whole new season of that Netflix show",
        "the red carpet looks at the Oscars last night",
        "Marvel, Star Wars, Disney, Hollywood and anime",
    ),
    "music": (
        "music, songs, albums, concerts, bands and singers",
        "new single release, playlists, lyrics and music festivals",
        "this album has been on repeat all week",
        "front row at the concert tonight, the band was incredible",
    ),
    "gaming": (
        "video games, gaming consoles, esports and streamers",
        "playing online multiplayer games, game updates and speedruns",
        "finally beat the final boss after ten hours",
        "new PlayStation and Xbox releases this month",
        "Nintendo, Zelda, Mario, Minecraft, Fortnite and Call of Duty",
    ),
    "sports": (
        "sports, football, soccer, basketball, tennis, athletes and matches",
        "game results, scores, championships, teams and players",
        "what a goal in the last minute, we won the match",
        "the playoffs start tonight, go team",
        "NBA, NFL, Premier League, World Cup, Olympics and Formula 1",
    ),
    "news": (
        "breaking news, current events, reports and headlines",
        "accidents, weather warnings, disasters and emergency updates",
        "breaking: fire reported downtown, roads closed",
        "officials confirmed the storm will reach the coast tomorrow",
    ),
    "politics": (
        "politics, government, elections, politicians and policy",
        "parliament, presidents, voting, laws, campaigns and protests",
        "go vote today, every ballot counts in this election",
        "the senate passed the new bill after a long debate",
    ),
    "business": (
        "business, companies, startups, markets, finance and the economy",
        "investing, stocks, cryptocurrency, jobs, careers and entrepreneurship",
        "our startup just closed its first funding round",
        "stocks fell sharply after the earnings report",
    ),
    "science": (
        "science, research, physics, biology, chemistry and space",
        "scientific discoveries, experiments, astronomy, climate research",
        "NASA's telescope captured a stunning image of a distant galaxy",
        "new study finds a link between sleep and memory",
    ),
    "health": (
        "health, fitness, exercise, medicine, nutrition and mental health",
        "doctors, hospitals, workouts, wellness, diets and illness",
        "leg day at the gym, feeling strong",
        "remember to take care of your mental health this week",
    ),
    "food": (
        "food, cooking, recipes, restaurants and baking",
        "delicious meals, dinner, coffee, desserts and cuisine",
        "homemade pasta with fresh tomato sauce tonight",
        "this new ramen place downtown is amazing",
    ),
    "travel": (
        "travel, vacations, tourism, flights, hotels and destinations",
        "exploring new cities, beaches, mountains and road trips",
        "sunset at the beach on the last day of our holiday",
        "just landed in Tokyo, can't wait to explore",
    ),
    "fashion": (
        "fashion, clothing, style, outfits, designers and beauty",
        "makeup, skincare, shoes, accessories and fashion week",
        "outfit of the day: vintage jacket and new sneakers",
        "trying a new skincare routine and my skin is glowing",
    ),
    "lifestyle": (
        "lifestyle, home, family, relationships and daily routines",
        "parenting, pets, home decor, gardening and self-improvement",
        "redecorated the living room this weekend",
        "my dog learned a new trick today",
    ),
    "comedy": (
        "comedy, jokes, memes, funny videos and humor",
        "stand-up comedians, pranks, satire and hilarious moments",
        "I can't stop laughing at this meme",
        "when you open the fridge for the tenth time hoping new food appeared",
    ),
    "art": (
        "art, painting, drawing, photography, design and illustration",
        "artists, galleries, museums, sculpture and creative work",
        "finished my latest watercolor painting",
        "visited the modern art museum today",
    ),
    BACKGROUND: (
        "a personal message, greeting or casual chat",
        "good morning everyone, have a nice day",
        "thanks so much, see you soon",
        "I'm so tired today",
        "happy birthday! hope you have a great one",
        "love you so much, miss you",
    ),
}
CATEGORIES: tuple[str, ...] = tuple(name for name in TAXONOMY if name != BACKGROUND)


@dataclass(frozen=True)
class CategoryScore:
    name: str
    score: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def fit_softmax_scale(
    description_vectors: np.ndarray, owners: np.ndarray, n_classes: int, grid: np.ndarray | None = None
) -> float:
    """Scale minimising leave-one-out NLL of each description's own category."""
    grid = grid if grid is not None else np.linspace(5.0, 100.0, 96)
    similarity = description_vectors @ description_vectors.T
    np.fill_diagonal(similarity, -np.inf)  # a description may not vote for itself
    evidence = np.full((len(owners), n_classes), -1.0)
    for cls in range(n_classes):
        evidence[:, cls] = similarity[:, owners == cls].max(axis=1)
    evidence = np.maximum(evidence, -1.0)  # a class with a single description has no LOO anchor
    best_scale, best_nll = float(grid[0]), np.inf
    for scale in grid:
        logits = scale * evidence
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1))
        nll = float(np.mean(log_norm - logits[np.arange(len(owners)), owners]))
        if nll < best_nll:
            best_scale, best_nll = float(scale), nll
    return best_scale


class CategoryClassifier:
    def __init__(
        self,
        embedder: TextEmbedder,
        *,
        taxonomy: Mapping[str, Sequence[str]] = TAXONOMY,
        min_score: float = 0.2,
        max_categories: int = 3,
    ) -> None:
        if BACKGROUND not in taxonomy:
            raise ValueError(f"the taxonomy needs a {BACKGROUND!r} class to absorb off-taxonomy posts")
        self.names = list(taxonomy)
        self.min_score = min_score
        self.max_categories = max_categories
        descriptions = [text for name in self.names for text in taxonomy[name]]
        self._owners = np.array([i for i, name in enumerate(self.names) for _ in taxonomy[name]])
        self._descriptions = embedder.embed(descriptions)
        self.scale = fit_softmax_scale(self._descriptions, self._owners, len(self.names))

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, classes) softmax probabilities, columns in `self.names` order (background included)."""
        similarity = embeddings @ self._descriptions.T
        evidence = np.stack(
            [similarity[:, self._owners == cls].max(axis=1) for cls in range(len(self.names))], axis=1
        )
        logits = self.scale * evidence
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def classify(self, embeddings: np.ndarray) -> list[list[CategoryScore]]:
        probabilities = self.probabilities(embeddings)
        background = self.names.index(BACKGROUND)
        results = []
        for row in probabilities:
            ranked = [int(i) for i in np.argsort(-row) if i != background and row[i] >= self.min_score]
            results.append(
                [CategoryScore(self.names[i], round(float(row[i]), 4)) for i in ranked[: self.max_categories]]
            )
        return results
